using System.Security.Cryptography;
using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Sessions;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeCL.Device.Audio;

/// <summary>
/// Silero VAD v4 (<c>silero_vad.onnx</c> from the speech model package): one chunk of 16 kHz audio in, the probability
/// that it holds speech out. Stateful: the LSTM state (h, c) carries over from chunk to chunk until <see cref="Reset"/>.
/// </summary>
/// <remarks>
/// <para>The model takes <c>input</c> [1, N] (float, [−1, 1]), <c>sr</c> (int64, 16000) and <c>h</c>, <c>c</c> [2, 1, 64];
/// it returns <c>output</c> [1, 1] and the next <c>hn</c>, <c>cn</c>. The default chunk is 1280 samples (80 ms), the
/// speech embedding's hop, so one VAD call decides each hop (the npm port calls it the same way, feasibility.md §2).
/// Silero documents 512, 1024 and 1536 for v4; the graph takes any length, and 1280 was checked on the keyword set
/// (every keyword peaks above 0.97, silence and light noise stay below 0.1; see SileroVadTests).</para>
/// <para>Every buffer is pinned and bound once. The state ping-pongs between two pairs of buffers through two bindings
/// (A reads h0/c0 and writes h1/c1, B the other way round), so a chunk costs one run and no copy or allocation.
/// Not thread-safe.</para>
/// </remarks>
public sealed class SileroVad : IDisposable
{
    /// <summary>SHA-256 of the Silero VAD v4 model that models/speech/fetch.sh verifies.</summary>
    public const string ModelSha256 = "a35ebf52fd3ce5f1469b2a36158dba761bc47b973ea3382b3186ca15b1f5af28";

    /// <summary>The only sample rate this wrapper runs the model at.</summary>
    public const int SampleRate = 16000;

    /// <summary>Default chunk: 1280 samples (80 ms), one speech-embedding hop.</summary>
    public const int DefaultChunkSamples = 1280;

    private const int StateSize = 2 * 1 * 64;

    private readonly OnnxSession _session;
    private readonly float[] _input;
    private readonly long[] _sampleRate = GC.AllocateArray<long>(1, pinned: true);
    private readonly float[] _h0 = GC.AllocateArray<float>(StateSize, pinned: true);
    private readonly float[] _c0 = GC.AllocateArray<float>(StateSize, pinned: true);
    private readonly float[] _h1 = GC.AllocateArray<float>(StateSize, pinned: true);
    private readonly float[] _c1 = GC.AllocateArray<float>(StateSize, pinned: true);
    private readonly float[] _output = GC.AllocateArray<float>(1, pinned: true);
    private readonly List<IDisposable> _native = [];
    private readonly OrtIoBinding _forward, _backward;
    private readonly RunOptions _runOptions = new();
    private bool _flip; // false: the state is in h0/c0 (run _forward); true: in h1/c1 (run _backward)
    private bool _disposed;

    /// <summary>Loads and verifies the model, then allocates and binds every buffer.</summary>
    /// <param name="modelPath">Path of <c>silero_vad.onnx</c>.</param>
    /// <param name="sessionOptions">Provider chain and threading.</param>
    /// <param name="chunkSamples">Samples per <see cref="Process"/> call (1280 by default; Silero v4 also documents 512, 1024, 1536).</param>
    /// <param name="logger">Receives provider fallbacks.</param>
    /// <exception cref="ModelLoadException">The file is missing, has the wrong SHA-256, or cannot run a chunk.</exception>
    public SileroVad(string modelPath, SessionOptionsSpec sessionOptions, int chunkSamples = DefaultChunkSamples, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        ArgumentNullException.ThrowIfNull(sessionOptions);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSamples, 256);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(chunkSamples, SampleRate);
        ModelPath = modelPath;
        ChunkSamples = chunkSamples;
        byte[] bytes = ReadVerified(modelPath);
        _input = GC.AllocateArray<float>(chunkSamples, pinned: true);
        _sampleRate[0] = SampleRate;
        _session = OnnxSessionFactory.Create(bytes, modelPath, sessionOptions, SelfTest, logger);
        try
        {
            InferenceSession s = _session.Session;
            foreach (string name in (string[])["input", "sr", "h", "c"])
                if (!s.InputMetadata.ContainsKey(name))
                    throw new ModelLoadException($"VAD model '{modelPath}' has no input '{name}' (inputs: {string.Join(", ", s.InputNames)}); it is not Silero VAD v4: run models/speech/fetch.sh.");
            var cpu = OrtMemoryInfo.DefaultInstance;
            OrtValue input = Track(OrtValue.CreateTensorValueFromMemory(cpu, _input.AsMemory(), [1, chunkSamples]));
            // sr is a scalar in v4's graph; a [1] tensor is accepted by models that declare it so.
            long[] srShape = s.InputMetadata["sr"].Dimensions.Length == 0 ? [] : [1];
            OrtValue sr = Track(OrtValue.CreateTensorValueFromMemory(cpu, _sampleRate.AsMemory(), srShape));
            OrtValue output = Track(OrtValue.CreateTensorValueFromMemory(cpu, _output.AsMemory(), [1, 1]));
            OrtValue h0 = Track(State(_h0)), c0 = Track(State(_c0)), h1 = Track(State(_h1)), c1 = Track(State(_c1));
            _forward = Bind(s, input, sr, output, h0, c0, h1, c1);
            _backward = Bind(s, input, sr, output, h1, c1, h0, c0);
        }
        catch
        {
            Dispose();
            throw;
        }

        OrtValue State(float[] buffer) => OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffer.AsMemory(), [2, 1, 64]);
    }

    /// <summary>The model file.</summary>
    public string ModelPath { get; }

    /// <summary>Samples per <see cref="Process"/> call.</summary>
    public int ChunkSamples { get; }

    /// <summary>The provider that runs the model.</summary>
    public ExecutionProvider ActiveProvider => _session.ActiveProvider;

    /// <summary>Runs one chunk and advances the state.</summary>
    /// <param name="int16ScaleChunk"><see cref="ChunkSamples"/> samples at int16 scale (±32768, as the speech backbone takes them);
    /// scaled to [−1, 1] here because Silero was trained on that scale.</param>
    /// <returns>The probability (0..1) that the chunk holds speech.</returns>
    public float Process(ReadOnlySpan<float> int16ScaleChunk)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (int16ScaleChunk.Length != ChunkSamples)
            throw new ArgumentException($"The VAD takes chunks of {ChunkSamples} samples; got {int16ScaleChunk.Length}.", nameof(int16ScaleChunk));
        System.Numerics.Tensors.TensorPrimitives.Multiply(int16ScaleChunk, 1f / 32768f, _input);
        _session.Session.RunWithBinding(_runOptions, _flip ? _backward : _forward);
        _flip = !_flip;
        return _output[0];
    }

    /// <summary>Forgets the stream: zero state, as at the start of a new recording.</summary>
    public void Reset()
    {
        Array.Clear(_h0);
        Array.Clear(_c0);
        _flip = false;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _forward?.Dispose();
        _backward?.Dispose();
        foreach (IDisposable d in _native)
            d.Dispose();
        _runOptions.Dispose();
        _session?.Dispose();
    }

    /// <summary>Reads the model and checks its SHA-256; a clear one-line error names the fetch script.</summary>
    internal static byte[] ReadVerified(string path)
    {
        if (!File.Exists(path))
            throw new ModelLoadException($"VAD model '{path}' is missing; run models/speech/fetch.sh.");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException($"VAD model '{path}' cannot be read ({ex.Message}); check permissions, or delete it and run models/speech/fetch.sh.", ex);
        }
        string actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (actual != ModelSha256)
            throw new ModelLoadException($"VAD model '{path}' has SHA-256 {actual}, expected {ModelSha256} (Silero VAD v4); delete it and run models/speech/fetch.sh.");
        return bytes;
    }

    private OrtValue Track(OrtValue value)
    {
        _native.Add(value);
        return value;
    }

    private static OrtIoBinding Bind(InferenceSession s, OrtValue input, OrtValue sr, OrtValue output, OrtValue h, OrtValue c, OrtValue hn, OrtValue cn)
    {
        OrtIoBinding b = s.CreateIoBinding();
        b.BindInput("input", input);
        b.BindInput("sr", sr);
        b.BindInput("h", h);
        b.BindInput("c", c);
        b.BindOutput("output", output);
        b.BindOutput("hn", hn);
        b.BindOutput("cn", cn);
        return b;
    }

    private void SelfTest(InferenceSession session)
    {
        // The factory's zero self-test would feed one sample; prove the provider with a real chunk instead.
        using var input = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, [1, ChunkSamples]);
        input.GetTensorMutableDataAsSpan<float>().Clear();
        long[] srShape = session.InputMetadata.TryGetValue("sr", out NodeMetadata? m) && m.Dimensions.Length == 0 ? [] : [1];
        using var sr = OrtValue.CreateTensorValueFromMemory(new long[] { SampleRate }, srShape);
        using var h = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, [2, 1, 64]);
        using var c = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, [2, 1, 64]);
        h.GetTensorMutableDataAsSpan<float>().Clear();
        c.GetTensorMutableDataAsSpan<float>().Clear();
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["input", "sr", "h", "c"], [input, sr, h, c], session.OutputNames);
    }
}
