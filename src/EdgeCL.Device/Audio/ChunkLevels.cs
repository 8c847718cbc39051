using System.Numerics.Tensors;

namespace EdgeCL.Device.Audio;

/// <summary>
/// The recent chunks' loudness and VAD verdicts, so that an utterance can be judged against the speech around it: which of
/// its speech is <em>foreground</em> (within <c>foregroundDb</c> of its loudest chunk) and how long no foreground-loud speech
/// came before that. A keyword said over a television is then a short loud span after a quiet one (the television is
/// background), while the television's own talk, or talk at the keyword's level, runs on. Fixed arrays, no allocation.
/// </summary>
internal sealed class ChunkLevels
{
    private const int Capacity = 1024; // 82 s of 80 ms chunks, 10 s of 10 ms ones: longer than any pause asked for
    private readonly long[] _start = new long[Capacity];
    private readonly long[] _end = new long[Capacity];
    private readonly float[] _energy = new float[Capacity];
    private readonly bool[] _speech = new bool[Capacity];
    private readonly float _ratio; // energies more than foregroundDb below the loudest are background
    private int _count, _next;

    /// <param name="foregroundDb">0 counts every speech chunk as foreground (pauses are the VAD's silences alone).</param>
    public ChunkLevels(float foregroundDb) => _ratio = foregroundDb <= 0 ? 0f : MathF.Pow(10f, -foregroundDb / 10f);

    /// <summary>Forgets everything (a new stream).</summary>
    public void Reset() => _count = _next = 0;

    /// <summary>Records one chunk: its sample span, its mean square and whether the VAD called it speech.</summary>
    public void Add(long start, ReadOnlySpan<float> chunk, bool speech)
    {
        _start[_next] = start;
        _end[_next] = start + chunk.Length;
        _energy[_next] = chunk.IsEmpty ? 0f : TensorPrimitives.SumOfSquares(chunk) / chunk.Length;
        _speech[_next] = speech;
        _next = (_next + 1) % Capacity;
        _count = Math.Min(_count + 1, Capacity);
    }

    /// <summary>The foreground part of the speech in [<paramref name="speechStart"/>, <paramref name="end"/>) and the quiet before it.</summary>
    /// <param name="speechStart">The utterance's first speech sample.</param>
    /// <param name="end">One past its last speech sample (or the cut).</param>
    /// <param name="foregroundStart">First sample of the first foreground chunk (clamped to the speech).</param>
    /// <param name="foregroundEnd">One past the last foreground chunk (clamped to <paramref name="end"/>).</param>
    /// <param name="quietBefore">Samples from the last foreground-loud speech chunk before it to <paramref name="foregroundStart"/>;
    /// <see cref="long.MaxValue"/> when none is remembered since the stream's start.</param>
    public void Foreground(long speechStart, long end, out long foregroundStart, out long foregroundEnd, out long quietBefore)
    {
        float loudest = 0f;
        for (int k = 0; k < _count; k++)
        {
            int i = Index(k);
            if (_end[i] <= speechStart)
                break;
            if (_speech[i] && _start[i] < end)
                loudest = Math.Max(loudest, _energy[i]);
        }
        float floor = loudest * _ratio;
        foregroundStart = end;
        foregroundEnd = speechStart;
        int first = -1;
        for (int k = 0; k < _count; k++)
        {
            int i = Index(k);
            if (_end[i] <= speechStart)
                break;
            if (!_speech[i] || _start[i] >= end || _energy[i] < floor)
                continue;
            foregroundStart = Math.Max(_start[i], speechStart);
            foregroundEnd = Math.Max(foregroundEnd, Math.Min(_end[i], end));
            first = k;
        }
        if (first < 0)
        {
            // No chunk left in the history (cannot happen for an utterance just decided): the VAD's span.
            (foregroundStart, foregroundEnd, quietBefore) = (speechStart, end, long.MaxValue);
            return;
        }
        for (int k = first + 1; k < _count; k++)
        {
            int i = Index(k);
            if (_speech[i] && _energy[i] >= floor)
            {
                quietBefore = Math.Max(0, foregroundStart - _end[i]);
                return;
            }
        }
        long oldest = _start[Index(_count - 1)];
        quietBefore = oldest == 0 ? long.MaxValue : foregroundStart - oldest;
    }

    // k = 0 is the newest chunk.
    private int Index(int k) => ((_next - 1 - k) % Capacity + Capacity) % Capacity;
}
