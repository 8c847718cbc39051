using EdgeCL.Device.Config;

namespace EdgeCL.Device.Audio;

/// <summary>One utterance found by <see cref="UtteranceSegmenter"/>; sample positions count from the stream's start.</summary>
/// <param name="Index">1 for the first utterance of the segmenter's life (not reset by <see cref="UtteranceSegmenter.Reset"/>).</param>
/// <param name="Start">First sample, including the pre-roll (clamped to the stream's start).</param>
/// <param name="SpeechStart">First sample of the first chunk above the threshold.</param>
/// <param name="End">One past the last sample of the last chunk above the threshold, or the cut point.</param>
/// <param name="DecidedAt">Samples pushed when the segmenter decided the utterance was over (End plus the hangover, or End at a cut).</param>
/// <param name="WasCut">The utterance reached the maximum length and was cut while speech went on.</param>
/// <param name="FollowsCut">The utterance continues one that was cut: it is the rest of a longer stretch of speech.</param>
/// <param name="QuietBefore">Samples before the foreground speech without foreground-loud speech (<see cref="VadSettings.ForegroundDb"/>;
/// a burst too short to keep counts too); <see cref="long.MaxValue"/> when none was heard before it in this stream.</param>
/// <param name="ForegroundStart">First sample of the foreground speech: the speech within <see cref="VadSettings.ForegroundDb"/>
/// of the utterance's loudest chunk (quieter speech, a television behind the speaker, is background).</param>
/// <param name="ForegroundEnd">One past the foreground speech.</param>
/// <param name="ForegroundCut">The foreground speech runs into a cut: it goes on past <see cref="VadSettings.MaxUtteranceMs"/>.</param>
public readonly record struct Utterance(int Index, long Start, long SpeechStart, long End, long DecidedAt, bool WasCut,
    bool FollowsCut = false, long QuietBefore = long.MaxValue, long ForegroundStart = 0, long ForegroundEnd = 0, bool ForegroundCut = false)
{
    /// <summary>Centre of the speech (pre-roll excluded): where a 1.5 s embedding clip is centred.</summary>
    public long SpeechCentre => (SpeechStart + End) / 2;
}

/// <summary>
/// Turns per-chunk speech probabilities (from a VAD) into utterances, following <see cref="VadSettings"/>. Pure logic:
/// no model, no clock, no allocation per chunk.
/// </summary>
/// <remarks>
/// <para>A chunk whose probability is above <see cref="VadSettings.Threshold"/> is speech. An utterance starts at the first
/// speech chunk and ends when <see cref="VadSettings.MinSilenceMs"/> of silence follow its last speech chunk (the
/// hangover; shorter gaps stay inside the utterance). Speech spanning less than <see cref="VadSettings.MinSpeechMs"/> is
/// dropped (clicks, coughs). Speech that goes on past <see cref="VadSettings.MaxUtteranceMs"/> is cut there; if it still
/// goes on, the next utterance starts at the cut with no pre-roll, so continuous speech becomes back-to-back pieces.</para>
/// <para>The segmenter also keeps the last samples in a ring (pre-roll + maximum length + hangover) so that the PCM of
/// the utterance just decided can be copied out with <see cref="CopySamples"/>.</para>
/// </remarks>
public sealed class UtteranceSegmenter
{
    /// <summary>Upper bound of every duration setting (60 s): the sample history is sized from them.</summary>
    public const int MaxSettingMs = 60_000;

    private readonly float _threshold;
    private readonly long _minSpeech, _minSilence, _maxUtterance, _preRoll;
    private readonly float[] _ring;
    private long _pushed;         // samples pushed since the last Reset
    private bool _inSpeech;
    private long _speechStart;    // first sample of the current utterance's speech
    private long _lastSpeechEnd;  // one past the last speech chunk of the current utterance
    private bool _continuation;   // the current utterance continues a cut one (no pre-roll)
    private bool _continuationPending; // a cut fell on a chunk boundary: a speech chunk right after it continues
    private readonly ChunkLevels _levels; // loudness and verdict of recent chunks: foreground speech and the quiet before it
    private int _index;

    /// <summary>Creates a segmenter for a stream at <paramref name="sampleRate"/>.</summary>
    /// <param name="settings">Threshold and durations.</param>
    /// <param name="sampleRate">Samples per second of the pushed chunks.</param>
    /// <param name="minimumHistorySamples">Samples <see cref="CopyRange"/> must still reach back from the newest one (a clip
    /// around an utterance that is cut only once the clip's end has been heard); one second of slack is added.</param>
    /// <exception cref="ArgumentException">A setting is out of range (negative duration, threshold outside 0..1, zero maximum).</exception>
    public UtteranceSegmenter(VadSettings settings, int sampleRate = 16000, int minimumHistorySamples = 0)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        ArgumentOutOfRangeException.ThrowIfNegative(minimumHistorySamples);
        Validate(settings);
        _threshold = settings.Threshold;
        SampleRate = sampleRate;
        _minSpeech = Samples(settings.MinSpeechMs);
        _minSilence = Samples(settings.MinSilenceMs);
        _maxUtterance = Samples(settings.MaxUtteranceMs);
        _preRoll = Samples(settings.PreRollMs);
        _levels = new ChunkLevels(settings.ForegroundDb);
        // Room for the longest utterance's samples at the moment it is decided, plus one chunk of slack.
        _ring = new float[checked((int)(Math.Max(_preRoll + _maxUtterance + _minSilence, minimumHistorySamples) + sampleRate))];

        long Samples(int ms) => (long)ms * sampleRate / 1000;
    }

    /// <summary>Checks what a segmenter needs of <paramref name="settings"/> without making one (and its sample history).</summary>
    /// <exception cref="ArgumentException">A setting is out of range (negative duration, threshold outside 0..1, zero maximum).</exception>
    public static void Validate(VadSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!(settings.Threshold is >= 0f and < 1f))
            throw new ArgumentException($"vad.threshold is {settings.Threshold}; use a probability in [0, 1) such as 0.5.", nameof(settings));
        if (settings.MinSpeechMs is < 0 or > MaxSettingMs || settings.MinSilenceMs is < 0 or > MaxSettingMs
            || settings.PreRollMs is < 0 or > MaxSettingMs || settings.MaxUtteranceMs is <= 0 or > MaxSettingMs)
            throw new ArgumentException(
                $"vad durations must be 0..60000 ms and max_utterance_ms > 0 (got min_speech_ms {settings.MinSpeechMs}, min_silence_ms {settings.MinSilenceMs}, max_utterance_ms {settings.MaxUtteranceMs}, pre_roll_ms {settings.PreRollMs}).",
                nameof(settings));
        if (!(settings.ForegroundDb is >= 0f and <= 60f))
            throw new ArgumentException($"vad.foreground_db is {settings.ForegroundDb}; use 0..60 dB (default 15).", nameof(settings));
    }

    /// <summary>Samples per second.</summary>
    public int SampleRate { get; }

    /// <summary>Samples pushed since construction or the last <see cref="Reset"/>.</summary>
    public long SamplesPushed => _pushed;

    /// <summary>True while an utterance is open (speech seen and not yet ended).</summary>
    public bool InSpeech => _inSpeech;

    /// <summary>The longest utterance's samples, pre-roll included: the size <see cref="CopySamples"/> may need.</summary>
    public int MaxUtteranceSamples => (int)(_preRoll + _maxUtterance);

    /// <summary>Adds one chunk and its speech probability.</summary>
    /// <param name="chunk">The chunk's samples (any scale; kept only for <see cref="CopySamples"/>). Chunks may differ in length.</param>
    /// <param name="speechProbability">The VAD's probability for this chunk.</param>
    /// <param name="utterance">The utterance this chunk ended, when the result is true.</param>
    /// <returns>True when an utterance ended with this chunk.</returns>
    public bool Push(ReadOnlySpan<float> chunk, float speechProbability, out Utterance utterance)
    {
        if (chunk.Length > _ring.Length)
            throw new ArgumentException($"A chunk of {chunk.Length} samples is longer than the segmenter's history ({_ring.Length}); push chunks of at most one second.", nameof(chunk));
        long chunkStart = _pushed;
        Remember(chunk);
        long chunkEnd = _pushed;
        bool speech = speechProbability > _threshold;
        _levels.Add(chunkStart, chunk, speech);
        utterance = default;

        if (!_inSpeech)
        {
            // A cut that fell on this chunk's start continues without pre-roll; after silence it is a new utterance.
            if (speech)
                Open(chunkStart, chunkEnd, continuation: _continuationPending);
            _continuationPending = false;
            return false;
        }

        if (speech)
        {
            _lastSpeechEnd = chunkEnd;
            if (chunkEnd - _speechStart < _maxUtterance)
                return false;
            // Cut at the maximum length; speech still going on continues as the next utterance.
            long cut = _speechStart + _maxUtterance;
            bool emitted = TryClose(cut, chunkEnd, wasCut: true, out utterance);
            if (cut < chunkEnd)
                Open(cut, chunkEnd, continuation: true);
            else
                _continuationPending = true;
            return emitted;
        }

        if (chunkEnd - _lastSpeechEnd < _minSilence)
            return false;
        return TryClose(_lastSpeechEnd, chunkEnd, wasCut: false, out utterance);
    }

    /// <summary>Ends the stream: closes an open utterance (if long enough) as if silence followed.</summary>
    /// <param name="utterance">The utterance that was open, when the result is true.</param>
    /// <returns>True when an open utterance was long enough to keep.</returns>
    public bool Flush(out Utterance utterance)
    {
        utterance = default;
        return _inSpeech && TryClose(_lastSpeechEnd, _pushed, wasCut: false, out utterance);
    }

    /// <summary>Copies the samples of <paramref name="utterance"/> (pre-roll included) into <paramref name="destination"/>.</summary>
    /// <returns>The number of samples written (End − Start).</returns>
    /// <exception cref="InvalidOperationException">The samples are no longer in the history (the utterance is too old).</exception>
    public int CopySamples(in Utterance utterance, Span<float> destination)
    {
        long length = utterance.End - utterance.Start;
        if (utterance.Start < _pushed - _ring.Length || utterance.End > _pushed || length < 0)
            throw new InvalidOperationException($"Utterance {utterance.Index} ({utterance.Start}..{utterance.End}) is no longer in the segmenter's history; copy it when it is decided.");
        if (destination.Length < length)
            throw new ArgumentException($"The destination holds {destination.Length} samples; utterance {utterance.Index} has {length}.", nameof(destination));
        int start = (int)(utterance.Start % _ring.Length);
        int first = (int)Math.Min(length, _ring.Length - start);
        _ring.AsSpan(start, first).CopyTo(destination);
        _ring.AsSpan(0, (int)length - first).CopyTo(destination[first..]);
        return (int)length;
    }

    /// <summary>Copies the samples <c>[start, start + destination.Length)</c> of the stream into <paramref name="destination"/>;
    /// positions before the stream's start or not pushed yet are written as zeros.</summary>
    /// <param name="start">First sample, counted from the stream's start (may be negative).</param>
    /// <param name="destination">Receives the samples.</param>
    /// <returns>The number of samples that came from the stream (the rest are zeros).</returns>
    /// <exception cref="InvalidOperationException">Part of the range has already left the history.</exception>
    public int CopyRange(long start, Span<float> destination)
    {
        long end = start + destination.Length;
        long from = Math.Max(0, start), to = Math.Min(end, _pushed);
        if (from < to && from < _pushed - _ring.Length)
            throw new InvalidOperationException($"Samples {start}..{end} are no longer in the segmenter's history ({_ring.Length} samples); copy them sooner.");
        destination.Clear();
        if (from >= to)
            return 0;
        int length = (int)(to - from);
        Span<float> target = destination.Slice((int)(from - start), length);
        int pos = (int)(from % _ring.Length);
        int first = Math.Min(length, _ring.Length - pos);
        _ring.AsSpan(pos, first).CopyTo(target);
        _ring.AsSpan(0, length - first).CopyTo(target[first..]);
        return length;
    }

    /// <summary>Forgets the stream (a new recording starts at sample 0); utterance numbering continues.</summary>
    public void Reset()
    {
        _pushed = 0;
        _inSpeech = false;
        _continuation = false;
        _continuationPending = false;
        _levels.Reset();
    }

    private void Open(long speechStart, long chunkEnd, bool continuation)
    {
        _inSpeech = true;
        _speechStart = speechStart;
        _lastSpeechEnd = chunkEnd;
        _continuation = continuation;
    }

    private bool TryClose(long end, long decidedAt, bool wasCut, out Utterance utterance)
    {
        _inSpeech = false;
        utterance = default;
        bool continuation = _continuation;
        _continuation = false;
        if (end - _speechStart < _minSpeech)
            return false;
        long start = continuation ? _speechStart : Math.Max(0, _speechStart - _preRoll);
        _levels.Foreground(_speechStart, end, out long foregroundStart, out long foregroundEnd, out long quiet);
        bool foregroundCut = (wasCut && foregroundEnd >= end) || (continuation && foregroundStart <= _speechStart);
        if (continuation && foregroundStart <= _speechStart)
            quiet = 0;
        utterance = new Utterance(++_index, start, _speechStart, end, decidedAt, wasCut, continuation, quiet, foregroundStart, foregroundEnd, foregroundCut);
        return true;
    }

    private void Remember(ReadOnlySpan<float> chunk)
    {
        int pos = (int)(_pushed % _ring.Length);
        int first = Math.Min(chunk.Length, _ring.Length - pos);
        chunk[..first].CopyTo(_ring.AsSpan(pos));
        chunk[first..].CopyTo(_ring);
        _pushed += chunk.Length;
    }
}
