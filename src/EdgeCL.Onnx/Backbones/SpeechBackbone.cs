using System.Globalization;
using System.Numerics.Tensors;
using EdgeCL.Core.Vectors;
using EdgeCL.Onnx.Audio;
using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Sessions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCL.Onnx.Backbones;

/// <summary>
/// The openWakeWord speech backbone: a 16 kHz clip → melspectrogram model → 76-frame windows → embedding model →
/// mean of the window embeddings (96-d). Exactly the Python reference pipeline (feasibility.md §2).
/// </summary>
/// <remarks>
/// <para>Front end, per clip (feasibility.md §2, §3):</para>
/// <list type="number">
/// <item>Mono samples at the manifest's rate, <b>int16 scale</b> (±32768, not /32768: the npm port's [−1, 1]
/// scaling is a known bug that shifts every mel bin by −9.03).</item>
/// <item>Centred in a <c>clipSeconds</c> buffer (1.5 s = 24,000 samples): shorter clips are zero-padded on both
/// sides, longer ones cropped centrally.</item>
/// <item>Plus deterministic white Gaussian dither of σ = <c>ditherLsb</c> (2 LSB, about −84 dBFS): digital zeros
/// map to the mel floor (−8 after scaling), which the embedding model never saw. The dither sequence comes from a
/// fixed-seed generator restarted for every clip, so a clip always gives the same embedding.</item>
/// <item>Melspectrogram model on the whole buffer (one call, no streaming, so none of the npm port's dropped
/// frames): [1, n] → [1, 1, T, 32] with T = ⌊(n − 512) / 160⌋ + 1 (147 for 1.5 s).</item>
/// <item><c>x / 10 + 2</c> (openWakeWord's <c>melspec_transform</c>).</item>
/// <item>Windows of 76 frames every 8 frames (W = (T − 76) / 8 + 1 = 9 for 1.5 s), batched as [W, 76, 32, 1]
/// → embedding model → [W, 1, 1, 96].</item>
/// <item>Mean over the W windows: 91.6 % 5-shot NCM on unseen voices against 77.3 % for the centre window
/// (feasibility.md §4).</item>
/// </list>
/// <para>Every buffer is allocated once in the constructor: the ORT inputs and outputs are <see cref="OrtValue"/>s
/// over pinned managed arrays, bound once to an <see cref="OrtIoBinding"/> per session, so <see cref="EmbedPcm"/>
/// allocates no managed memory per clip. <see cref="EmbedFile"/> allocates only the file bytes and the decoded
/// samples. Not thread-safe (one instance per thread), as <see cref="IEmbeddingBackbone"/> says.</para>
/// <para>Live audio uses the same call: EdgeCL.Device's PcmStreamSource cuts the 1.5 s clip around each utterance from
/// its history and embeds it with <see cref="EmbedPcm"/>, so a streamed word and a file of the same samples land on the
/// same vector.</para>
/// </remarks>
public sealed partial class SpeechBackbone : IEmbeddingBackbone
{
    /// <summary>Kind string in <c>backbone.json</c>.</summary>
    public const string ManifestKind = "speech-openwakeword";

    /// <summary>Mel model analysis window (n_fft) in samples; the minimum input length.</summary>
    public const int MelWindowSamples = 512;

    /// <summary>Mel model hop in samples (10 ms at 16 kHz).</summary>
    public const int MelHopSamples = 160;

    /// <summary>Seed of the dither generator (part of the space id).</summary>
    public const ulong DitherSeed = 0x5EED0F0DD17E4UL;

    private readonly OnnxSession _mel;
    private readonly OnnxSession _emb;
    private readonly ILogger _logger;
    private readonly int _melBins;

    // Pinned buffers and the OrtValues that view them (created once; see the class remarks).
    private readonly float[] _clip;      // [1, ClipSamples]: centred clip + dither, the mel input
    private readonly float[] _dither;    // [ClipSamples]: the fixed dither sequence
    private readonly float[] _mels;      // [1, 1, T, bins]: mel output, scaled in place
    private readonly float[] _windows;   // [W, 76, bins, 1]: embedding input
    private readonly float[] _windowEmbeddings; // [W, 1, 1, D]: embedding output
    private readonly OrtValue _clipValue, _melsValue, _windowsValue, _windowEmbeddingsValue;
    private readonly OrtIoBinding _melBinding, _embBinding;
    private readonly RunOptions _runOptions;
    private readonly bool _placeSpeech; // manifest placement "speech": centre the sound, not the file
    private bool _warnedScale;
    private bool _disposed;

    /// <summary>Loads the mel and embedding models named by <paramref name="manifest"/> and allocates every buffer.</summary>
    /// <param name="manifest">A <c>speech-openwakeword</c> manifest (models/speech/backbone.json).</param>
    /// <param name="manifestDirectory">Folder the manifest's file paths are relative to.</param>
    /// <param name="sessionOptions">Provider chain and threading for both sessions.</param>
    /// <param name="logger">Receives provider fallbacks and front-end warnings.</param>
    /// <exception cref="ModelLoadException">A model file is missing (run the fetch script), has the wrong SHA-256,
    /// cannot be loaded, or does not have the shapes this pipeline needs.</exception>
    public SpeechBackbone(BackboneManifest manifest, string manifestDirectory, SessionOptionsSpec sessionOptions, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(manifestDirectory);
        ArgumentNullException.ThrowIfNull(sessionOptions);
        _logger = logger ?? NullLogger.Instance;
        SpeechPreprocessing speech = ValidateManifest(manifest);
        Name = manifest.Name;
        SampleRate = speech.SampleRate;
        ClipSamples = (int)Math.Round(speech.ClipSeconds * speech.SampleRate, MidpointRounding.AwayFromZero);
        WindowFrames = speech.WindowFrames;
        _placeSpeech = speech.Placement == SpeechPreprocessing.PlacementSpeech;
        StepFrames = speech.StepFrames;
        MelFrames = MelFrameCount(ClipSamples);
        Windows = (MelFrames - WindowFrames) / StepFrames + 1;
        if (MelFrames < WindowFrames)
            throw new ModelLoadException(string.Create(CultureInfo.InvariantCulture,
                $"Manifest '{manifest.Name}': clipSeconds {speech.ClipSeconds} gives {MelFrames} mel frames, fewer than one {WindowFrames}-frame window; use clipSeconds >= {(MelHopSamples * (WindowFrames - 1) + MelWindowSamples) / (double)speech.SampleRate:0.###}."));
        PoolSegments = speech.PoolSegments;
        if (PoolSegments > Windows)
            throw new ModelLoadException($"Manifest '{manifest.Name}': poolSegments {PoolSegments} is more than the {Windows} windows of a clip; use 1..{Windows}.");
        WindowDimension = manifest.EmbeddingDimension / PoolSegments;

        byte[] melBytes = BackboneCatalog.ReadVerified(manifest, manifestDirectory, speech.MelModel);
        byte[] embBytes = BackboneCatalog.ReadVerified(manifest, manifestDirectory, manifest.Model);

        _clip = GC.AllocateArray<float>(ClipSamples, pinned: true);
        // The fixed-seed generator restarted for every clip is precomputed once: same sequence, no per-clip work.
        _dither = new float[ClipSamples];
        FillDither(_dither, speech.DitherLsb);

        // The default zero self-test would feed the mel model a single sample (dynamic dims set to 1), below its
        // 512-sample minimum; prove each provider with a full-length clip instead.
        _mel = CreateSession(melBytes, manifestDirectory, speech.MelModel, sessionOptions, session => RunMelSelfTest(session, ClipSamples), _logger);
        try
        {
            _emb = CreateSession(embBytes, manifestDirectory, manifest.Model, sessionOptions, null, _logger);
        }
        catch
        {
            _mel.Dispose();
            throw;
        }

        try
        {
            _melBins = CheckMelModel(_mel.Session, speech.MelModel, ClipSamples, MelFrames);
            (InputName, OutputName) = CheckEmbeddingModel(_emb.Session, manifest, WindowFrames, _melBins, WindowDimension);
            int dim = WindowDimension;

            _mels = GC.AllocateArray<float>(MelFrames * _melBins, pinned: true);
            _windows = GC.AllocateArray<float>(Windows * WindowFrames * _melBins, pinned: true);
            _windowEmbeddings = GC.AllocateArray<float>(Windows * dim, pinned: true);
            var cpu = OrtMemoryInfo.DefaultInstance;
            _clipValue = OrtValue.CreateTensorValueFromMemory(cpu, _clip.AsMemory(), [1, ClipSamples]);
            _melsValue = OrtValue.CreateTensorValueFromMemory(cpu, _mels.AsMemory(), [1, 1, MelFrames, _melBins]);
            _windowsValue = OrtValue.CreateTensorValueFromMemory(cpu, _windows.AsMemory(), [Windows, WindowFrames, _melBins, 1]);
            _windowEmbeddingsValue = OrtValue.CreateTensorValueFromMemory(cpu, _windowEmbeddings.AsMemory(), [Windows, 1, 1, dim]);
            _runOptions = new RunOptions();

            // Bind once: RunWithBinding then passes native handles only, with no per-call name or handle arrays
            // (the Run(RunOptions, names, values, names, values) overload allocates ~350 bytes of name and handle arrays per call;
            // measured with ORT 1.31.1).
            _melBinding = _mel.Session.CreateIoBinding();
            _melBinding.BindInput(_mel.Session.InputNames[0], _clipValue);
            _melBinding.BindOutput(_mel.Session.OutputNames[0], _melsValue);
            _embBinding = _emb.Session.CreateIoBinding();
            _embBinding.BindInput(InputName, _windowsValue);
            _embBinding.BindOutput(OutputName, _windowEmbeddingsValue);
        }
        catch
        {
            DisposeNative();
            throw;
        }

        Space = SpaceIdentity.Compute([melBytes, embBytes], CanonicalPreprocessing(speech, _melBins, InputName, OutputName), manifest.EmbeddingDimension);
        if (_mel.ActiveProvider != _emb.ActiveProvider)
            Log.ProvidersDiffer(_logger, _mel.ActiveProvider.ToString(), _emb.ActiveProvider.ToString());
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public EmbeddingSpace Space { get; }

    /// <inheritdoc/>
    /// <remarks>The embedding model's provider (the mel model's is logged when it differs).</remarks>
    public ExecutionProvider ActiveProvider => _emb.ActiveProvider;

    /// <inheritdoc/>
    public IReadOnlyList<string> FileExtensions { get; } = [".wav"];

    /// <summary>Sample rate of the PCM that <see cref="EmbedPcm"/> takes (16,000).</summary>
    public int SampleRate { get; }

    /// <summary>Samples in the centred clip buffer (clipSeconds × sampleRate: 24,000).</summary>
    public int ClipSamples { get; }

    /// <summary>Mel frames per clip, T (147 for 1.5 s).</summary>
    public int MelFrames { get; }

    /// <summary>Mel frames per embedding window (76).</summary>
    public int WindowFrames { get; }

    /// <summary>Mel frames between windows (8).</summary>
    public int StepFrames { get; }

    /// <summary>Windows averaged per clip, W (9 for 1.5 s).</summary>
    public int Windows { get; }

    /// <summary>Samples at the start of a clip that reach its embedding: the last window's last mel frame ends here (22,752
    /// of 24,000 for 1.5 s). A live source need not wait for the rest before it embeds.</summary>
    public int SamplesUsed => Math.Min(ClipSamples, ((Windows - 1) * StepFrames + WindowFrames - 1) * MelHopSamples + MelWindowSamples);

    /// <summary>The embedding model's input name.</summary>
    public string InputName { get; }

    /// <summary>The embedding model's output name.</summary>
    public string OutputName { get; }

    /// <summary>The scaled mel frames (x/10 + 2, [T, bins] row-major) of the last clip; for tests.</summary>
    internal ReadOnlySpan<float> LastMelFrames => _mels;

    /// <summary>The centred, dithered mel input of the last clip; for tests.</summary>
    internal ReadOnlySpan<float> LastClip => _clip;

    /// <summary>Mel bins per frame (32).</summary>
    public int MelBins => _melBins;

    /// <summary>Mel frames the melspectrogram model produces for <paramref name="samples"/> samples: ⌊(n − 512)/160⌋ + 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 512 samples (the model's minimum input).</exception>
    public static int MelFrameCount(int samples)
    {
        if (samples < MelWindowSamples)
            throw new ArgumentOutOfRangeException(nameof(samples), samples, $"The mel model needs at least {MelWindowSamples} samples.");
        return (samples - MelWindowSamples) / MelHopSamples + 1;
    }

    /// <summary>Loads <c>backbone.json</c> and creates the backbone (the manifest's folder holds the models).</summary>
    /// <param name="manifestPath">Path of the manifest, e.g. <c>models/speech/backbone.json</c>.</param>
    /// <param name="sessionOptions">Provider chain and threading; null uses <see cref="SessionOptionsSpec.Default"/>.</param>
    /// <param name="logger">Receives provider fallbacks and warnings.</param>
    /// <exception cref="ModelLoadException">The manifest is missing or invalid, or a model cannot be loaded.</exception>
    public static SpeechBackbone FromManifestFile(string manifestPath, SessionOptionsSpec? sessionOptions = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(manifestPath);
        BackboneManifest manifest = BackboneCatalog.LoadManifest(manifestPath);
        string dir = Path.GetDirectoryName(Path.GetFullPath(manifestPath)) ?? ".";
        return new SpeechBackbone(manifest, dir, sessionOptions ?? SessionOptionsSpec.Default, logger);
    }

    /// <summary>Longest WAV file embedded as one example (60 s); a longer one is refused from its header, unread.</summary>
    /// <remarks>A clip is a few seconds; a file of many minutes is a recording to cut, not an example, and reading it whole
    /// would take memory a small device does not have.</remarks>
    public const double MaxFileSeconds = 60;

    /// <inheritdoc/>
    /// <exception cref="InputFormatException">The file is not a supported WAV or lasts over <see cref="MaxFileSeconds"/>.</exception>
    public void EmbedFile(string path, Span<float> embedding)
    {
        ArgumentNullException.ThrowIfNull(path);
        // The only per-file allocations: the data chunk's bytes and the decoded (and, if needed, resampled) samples.
        float[] samples = WavReader.ReadMono(path, SampleRate, MaxFileSeconds);
        EmbedPcm(samples, embedding, path);
    }

    /// <summary>Embeds one clip of mono PCM at <see cref="SampleRate"/>, int16 scale (±32768).</summary>
    /// <param name="int16ScaleSamples">The clip; centred in <see cref="ClipSamples"/> (padded or cropped).</param>
    /// <param name="embedding">Receives Space.Dimension floats (the raw mean embedding; centre and normalise downstream).</param>
    /// <exception cref="InputFormatException">The clip is empty or contains NaN/infinity.</exception>
    public void EmbedPcm(ReadOnlySpan<float> int16ScaleSamples, Span<float> embedding) => EmbedPcm(int16ScaleSamples, embedding, "PCM clip");

    private void EmbedPcm(ReadOnlySpan<float> samples, Span<float> embedding, string source)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int dim = Space.Dimension;
        if (embedding.Length != dim)
            throw new ArgumentException($"The embedding span has {embedding.Length} floats; this backbone writes {dim}.", nameof(embedding));
        if (samples.IsEmpty)
            throw new InputFormatException($"Audio '{source}' has no samples; record or export the clip again.");
        if (!VectorKernels.AllFinite(samples))
            throw new InputFormatException($"Audio '{source}' contains NaN or infinity at sample {VectorKernels.IndexOfNonFinite(samples)}; the input is corrupt.");
        WarnIfUnitScale(samples, source);

        // 1. Centre the sound (or the file) in the buffer, padding or cropping around it, then add the fixed dither.
        Span<float> clip = _clip;
        if (_placeSpeech)
        {
            SpeechPlacement.PlaceAt(samples, SpeechPlacement.ActiveCentre(samples), clip);
        }
        else
        {
            clip.Clear();
            if (samples.Length >= ClipSamples)
                samples.Slice((samples.Length - ClipSamples) / 2, ClipSamples).CopyTo(clip);
            else
                samples.CopyTo(clip[((ClipSamples - samples.Length) / 2)..]);
        }
        TensorPrimitives.Add(clip, _dither, clip);

        // 2. Mel spectrogram [1, 1, T, bins], then openWakeWord's x/10 + 2.
        _mel.Session.RunWithBinding(_runOptions, _melBinding);
        TensorPrimitives.Divide(_mels, 10f, _mels); // x/10 exactly as Python (not x·0.1)
        TensorPrimitives.Add(_mels, 2f, _mels);

        // 3. Windows of WindowFrames frames every StepFrames frames: each is a contiguous run of the row-major mel.
        int windowFloats = WindowFrames * _melBins;
        for (int w = 0; w < Windows; w++)
            _mels.AsSpan(w * StepFrames * _melBins, windowFloats).CopyTo(_windows.AsSpan(w * windowFloats, windowFloats));

        // 4. Embedding model [W, 76, bins, 1] → [W, 1, 1, D], then the mean over windows (per segment).
        _emb.Session.RunWithBinding(_runOptions, _embBinding);
        PoolWindows(_windowEmbeddings, Windows, PoolSegments, embedding);
        // The samples were checked finite above, so a NaN here is the models' doing, not the input's.
        if (!VectorKernels.AllFinite(embedding))
            throw new ModelLoadException($"Backbone '{Name}' produced NaN or infinity at output {VectorKernels.IndexOfNonFinite(embedding)} from valid audio ('{source}'); its models are broken (NaN weights or an unstable graph): re-fetch them or use another backbone.");
    }

    /// <summary>Pools <paramref name="windows"/> consecutive window embeddings (rows of embedding.Length / segments floats)
    /// into <paramref name="embedding"/>: segment s is the mean of windows [s·W/S, (s+1)·W/S), in time order. With one
    /// segment this is the plain mean, summed in window order exactly as before segments existed.</summary>
    public static void PoolWindows(ReadOnlySpan<float> rows, int windows, int segments, Span<float> embedding)
    {
        int dim = embedding.Length / segments;
        for (int s = 0; s < segments; s++)
        {
            int lo = s * windows / segments, hi = (s + 1) * windows / segments;
            Span<float> target = embedding.Slice(s * dim, dim);
            rows.Slice(lo * dim, dim).CopyTo(target);
            for (int w = lo + 1; w < hi; w++)
                TensorPrimitives.Add(target, rows.Slice(w * dim, dim), target);
            TensorPrimitives.Multiply(target, 1f / (hi - lo), target);
        }
    }

    /// <summary>Window embeddings averaged into each segment of the clip embedding (manifest <c>poolSegments</c>; 1 = one mean).</summary>
    public int PoolSegments { get; }

    /// <summary>Floats per window embedding (the model's output row: 96); the clip embedding has PoolSegments of them.</summary>
    public int WindowDimension { get; }

    /// <summary>True when the manifest places the sound (not the file) in the middle of the clip
    /// (<see cref="SpeechPlacement"/>); a streaming front end must then centre utterances the same way.</summary>
    public bool PlacesSpeech => _placeSpeech;

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        DisposeNative();
    }

    private void DisposeNative()
    {
        _melBinding?.Dispose();
        _embBinding?.Dispose();
        _clipValue?.Dispose();
        _melsValue?.Dispose();
        _windowsValue?.Dispose();
        _windowEmbeddingsValue?.Dispose();
        _runOptions?.Dispose();
        _mel?.Dispose();
        _emb?.Dispose();
    }

    private void WarnIfUnitScale(ReadOnlySpan<float> samples, string source)
    {
        // A clip whose peak is ≤ 1 but not silent was almost certainly scaled to [−1, 1] (the npm port's bug,
        // feasibility.md §2): that would be 90 dB quieter than intended. Warn once per instance.
        if (_warnedScale)
            return;
        float peak = MathF.Abs(TensorPrimitives.MaxMagnitude(samples));
        if (peak > 0f && peak <= 1f)
        {
            _warnedScale = true;
            Log.UnitScale(_logger, source, peak);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Speech backbone: mel model runs on {MelProvider}, embedding model on {EmbeddingProvider}")]
        public static partial void ProvidersDiffer(ILogger logger, string melProvider, string embeddingProvider);

        [LoggerMessage(EventId = 102, Level = LogLevel.Warning,
            Message = "Audio '{Source}' peaks at {Peak}: it looks scaled to [-1, 1]; the speech backbone expects int16-scale samples (multiply by 32768)")]
        public static partial void UnitScale(ILogger logger, string source, float peak);
    }
}
