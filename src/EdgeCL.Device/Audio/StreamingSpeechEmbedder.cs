using System.Numerics.Tensors;
using EdgeCL.Onnx.Backbones;

namespace EdgeCL.Device.Audio;

/// <summary>
/// Streaming openWakeWord embeddings over a <see cref="SpeechBackbone"/>'s two models: one mel run and one window
/// embedding per 80 ms hop, kept in a ring, so that an utterance's embedding is a mean of windows already computed.
/// </summary>
/// <remarks>
/// <para>Per hop (feasibility.md §2, the Python streaming path): the 1280 new samples plus the previous 480 go through
/// the mel model, giving 8 new frames on the same 10 ms grid as a whole-clip run; once 76 frames exist, the newest
/// 76-frame window goes through the embedding model and its 96-d embedding joins a ring of recent windows.</para>
/// <para>Hop <c>h</c> (0-based) ends its window at sample <c>1280 (h + 1) − 128</c>; the window starts at
/// <c>1280 h − 11360</c>. <see cref="SpeechBackbone.EmbedPcm"/> averages the 9 windows that start at
/// <c>clipStart + 1280 w</c> of a 1.5 s clip centred on the sound; <see cref="TryEmbed"/> takes the 9 ring windows
/// whose starts are nearest to that (at most 40 ms off), so a streamed utterance lands in the same space as prototypes
/// taught from files.</para>
/// <para>The stream gets the backbone's 2-LSB dither added (cyclically), as EmbedPcm adds it to every clip, so digital
/// silence looks like a padded clip's. The backbone must not be used by another thread meanwhile. <see cref="Push"/>
/// and <see cref="TryEmbed"/> allocate nothing after the first hop.</para>
/// </remarks>
public sealed class StreamingSpeechEmbedder
{
    private readonly SpeechBackbone _backbone;
    private readonly int _hop, _context, _bins, _windowFrames, _stepFrames, _dim, _windowDim, _windowsPerClip, _segments, _capacity;
    private readonly float[] _hopInput;   // [context + hop]: dithered samples, the mel input
    private readonly float[] _newFrames;  // [stepFrames × bins]
    private readonly float[] _melWindow;  // [windowFrames × bins]: the newest frames, oldest first
    private readonly float[] _windowRing; // [capacity × windowDim]: window embeddings, slot = hop % capacity
    private readonly float[] _clipWindows; // [windowsPerClip × windowDim]: one clip's windows, in order, for pooling
    private long _hops;                   // hops pushed since the last Reset
    private int _frames;                  // valid frames in _melWindow (saturates at windowFrames)
    private int _ditherPos;

    /// <summary>Creates a streaming front end over <paramref name="backbone"/>'s models.</summary>
    /// <param name="backbone">The speech backbone (not owned; used from this embedder's thread only).</param>
    /// <param name="historyHops">Window embeddings kept (64 = 5.1 s): enough for the longest utterance plus its
    /// hangover plus half a clip on each side.</param>
    public StreamingSpeechEmbedder(SpeechBackbone backbone, int historyHops = 64)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        _backbone = backbone;
        _hop = backbone.StreamHopSamples;
        _context = SpeechBackbone.StreamContextSamples;
        _bins = backbone.MelBins;
        _windowFrames = backbone.WindowFrames;
        _stepFrames = backbone.StepFrames;
        _dim = backbone.Space.Dimension;
        _windowDim = backbone.WindowDimension;
        _segments = backbone.PoolSegments;
        _windowsPerClip = backbone.Windows;
        ArgumentOutOfRangeException.ThrowIfLessThan(historyHops, _windowsPerClip + 1);
        _capacity = historyHops;
        _hopInput = new float[_context + _hop];
        _newFrames = new float[_stepFrames * _bins];
        _melWindow = new float[_windowFrames * _bins];
        _windowRing = new float[_capacity * _windowDim];
        _clipWindows = new float[_windowsPerClip * _windowDim];
        FirstWindowHop = (_windowFrames + _stepFrames - 1) / _stepFrames - 1; // hop 9 brings the 80th frame: the first full window
        // Hop h's window ends with frame 8h + 7, whose first sample is 160 (8h + 7) − 480; the window starts 75 frames earlier.
        WindowStartOffset = (long)SpeechBackbone.MelHopSamples * (_stepFrames - 1 - (_windowFrames - 1)) - _context;
    }

    /// <summary>New samples per <see cref="Push"/> (1280).</summary>
    public int HopSamples => _hop;

    /// <summary>Floats per clip embedding (96, or poolSegments × 96).</summary>
    public int Dimension => _dim;

    /// <summary>Samples pushed since construction or the last <see cref="Reset"/>.</summary>
    public long SamplesPushed => _hops * _hop;

    /// <summary>First hop (0-based) that has a full window.</summary>
    internal int FirstWindowHop { get; }

    /// <summary>Start sample of hop h's window is <c>HopSamples · h + WindowStartOffset</c> (−11360).</summary>
    internal long WindowStartOffset { get; }

    /// <summary>Adds one hop of int16-scale samples: one mel run, and one embedding run once a window is full.</summary>
    /// <param name="int16ScaleHop"><see cref="HopSamples"/> samples.</param>
    public void Push(ReadOnlySpan<float> int16ScaleHop)
    {
        if (int16ScaleHop.Length != _hop)
            throw new ArgumentException($"A hop is {_hop} samples; got {int16ScaleHop.Length}.", nameof(int16ScaleHop));

        // Slide the context, append the new samples plus the dither EmbedPcm would have added.
        Span<float> input = _hopInput;
        input[_hop..].CopyTo(input);
        Span<float> fresh = input[_context..];
        ReadOnlySpan<float> dither = _backbone.DitherSequence;
        int done = 0;
        while (done < _hop)
        {
            int n = Math.Min(_hop - done, dither.Length - _ditherPos);
            TensorPrimitives.Add(int16ScaleHop.Slice(done, n), dither.Slice(_ditherPos, n), fresh.Slice(done, n));
            done += n;
            _ditherPos = (_ditherPos + n) % dither.Length;
        }

        _backbone.RunMelHop(input, _newFrames);
        // Keep the newest 76 frames contiguous: shift by 8 frames (8.7 KB) rather than a ring the model cannot read.
        int stepFloats = _newFrames.Length;
        Span<float> window = _melWindow;
        window[stepFloats..].CopyTo(window);
        _newFrames.AsSpan().CopyTo(window[^stepFloats..]);
        _frames = Math.Min(_windowFrames, _frames + _stepFrames);

        if (_frames >= _windowFrames)
            _backbone.RunWindow(window, _windowRing.AsSpan((int)(_hops % _capacity) * _windowDim, _windowDim));
        _hops++;
    }

    /// <summary>Samples that must have been pushed before <see cref="TryEmbed"/> can answer for <paramref name="centreSample"/>.</summary>
    public long SamplesNeeded(long centreSample) => (FirstHop(centreSample) + _windowsPerClip) * (long)_hop;

    /// <summary>The embedding of a 1.5 s clip centred on <paramref name="centreSample"/>: the same 9 windows
    /// <see cref="SpeechBackbone.EmbedPcm"/> would pool (to the nearest hop), pooled the same way.</summary>
    /// <param name="centreSample">Centre of the utterance, in samples since the stream's start.</param>
    /// <param name="embedding">Receives <see cref="Dimension"/> floats.</param>
    /// <returns>False when the last window is not computed yet (push more hops, e.g. silence at the end of a stream).</returns>
    /// <exception cref="InvalidOperationException">The windows have already left the ring (asked too late).</exception>
    public bool TryEmbed(long centreSample, Span<float> embedding)
    {
        if (embedding.Length != _dim)
            throw new ArgumentException($"The embedding span has {embedding.Length} floats; this embedder writes {_dim}.", nameof(embedding));
        long first = FirstHop(centreSample);
        long last = first + _windowsPerClip - 1;
        if (last >= _hops)
            return false;
        if (first < _hops - _capacity)
            throw new InvalidOperationException($"The windows around sample {centreSample} have left the {_capacity}-hop history; embed utterances as soon as they end.");
        for (long h = first; h <= last; h++)
            _windowRing.AsSpan((int)(h % _capacity) * _windowDim, _windowDim).CopyTo(_clipWindows.AsSpan((int)(h - first) * _windowDim));
        SpeechBackbone.PoolWindows(_clipWindows, _windowsPerClip, _segments, embedding);
        return true;
    }

    /// <summary>Forgets the stream: the next hop is sample 0 again.</summary>
    public void Reset()
    {
        _hops = 0;
        _frames = 0;
        _ditherPos = 0;
        Array.Clear(_hopInput);
        Array.Clear(_melWindow);
    }

    private long FirstHop(long centreSample)
    {
        // EmbedPcm's first window starts at the clip start, centre − ClipSamples/2; hop h's window starts at h·hop + offset.
        long clipStart = centreSample - _backbone.ClipSamples / 2;
        double exact = (clipStart - WindowStartOffset) / (double)_hop;
        return Math.Max(FirstWindowHop, (long)Math.Round(exact, MidpointRounding.AwayFromZero));
    }
}
