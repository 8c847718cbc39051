using EdgeCL.Onnx.Errors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeCL.Onnx.Sessions;

/// <summary>
/// Runs a single-input, embedding-output ONNX model over pre-allocated, pinned buffers.
/// </summary>
/// <remarks>
/// The input is [N, …sample dims] float and the output [N, D] (or [N, D, 1, 1]) float. Buffers for
/// <see cref="MaxBatch"/> samples are allocated once; each batch size gets its OrtValues on first use and keeps
/// them, so steady-state runs allocate nothing on the managed heap. Not thread-safe (one buffer set). Owns the
/// session and must be disposed.
/// </remarks>
public sealed class OnnxEmbeddingModel : IDisposable
{
    /// <summary>Metadata key naming the embedding output of a model.</summary>
    public const string EmbeddingOutputMetadataKey = "edgecl.embedding_output";

    private readonly float[] _input;
    private readonly float[] _output;
    private readonly OrtValue?[] _inputValues;
    private readonly OrtValue?[] _outputValues;
    private readonly OrtIoBinding?[] _bindings;
    private readonly RunOptions _runOptions = new();

    /// <summary>Wraps <paramref name="session"/>; resolves and checks the input and embedding output.</summary>
    /// <param name="session">The session (ownership passes to this object).</param>
    /// <param name="inputName">Input name, or null for the model's only input.</param>
    /// <param name="outputName">Output name, or null for metadata <c>edgecl.embedding_output</c> or the first output.</param>
    /// <param name="maxBatch">Largest batch run at once.</param>
    /// <param name="displayName">Model name for messages.</param>
    /// <exception cref="ModelLoadException">The model's input or output does not fit an embedding model.</exception>
    public OnnxEmbeddingModel(OnnxSession session, string? inputName, string? outputName, int maxBatch, string displayName)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        Session = session;
        DisplayName = displayName;
        MaxBatch = maxBatch;
        try
        {
            InferenceSession s = session.Session;
            InputName = inputName ?? (s.InputMetadata.Count == 1 ? s.InputNames[0]
                : throw new ModelLoadException($"Model '{displayName}' has {s.InputMetadata.Count} inputs ({string.Join(", ", s.InputNames)}); name the image/tensor input in the backbone manifest."));
            if (!s.InputMetadata.TryGetValue(InputName, out NodeMetadata? inMeta))
                throw new ModelLoadException($"Model '{displayName}' has no input '{InputName}'; its inputs are {string.Join(", ", s.InputNames)}.");
            if (inMeta.ElementDataType != TensorElementType.Float || inMeta.Dimensions.Length < 2)
                throw new ModelLoadException($"Model '{displayName}' input '{InputName}' is {inMeta.ElementDataType}[{string.Join(",", inMeta.Dimensions)}]; expected float [N, …] with a batch dimension first.");
            SampleShape = inMeta.Dimensions[1..].Select(d => (long)d).ToArray();
            if (SampleShape.Any(d => d <= 0))
                throw new ModelLoadException($"Model '{displayName}' input '{InputName}' has dynamic sample dimensions [{string.Join(",", inMeta.Dimensions)}]; only the batch dimension may be dynamic.");
            SampleSize = checked((int)SampleShape.Aggregate(1L, (a, b) => a * b));

            s.ModelMetadata.CustomMetadataMap.TryGetValue(EmbeddingOutputMetadataKey, out string? fromMetadata);
            OutputName = outputName ?? fromMetadata ?? s.OutputNames[0];
            if (!s.OutputMetadata.TryGetValue(OutputName, out NodeMetadata? outMeta))
                throw new ModelLoadException($"Model '{displayName}' has no output '{OutputName}'; its outputs are {string.Join(", ", s.OutputNames)}.");
            int[] od = outMeta.Dimensions;
            if (EmbeddingDimensionOf(outMeta) is not { } dimension)
                throw new ModelLoadException($"Model '{displayName}' output '{OutputName}' is {outMeta.ElementDataType}[{string.Join(",", od)}], not an embedding; expected float [N, D] (or [N, D, 1, 1], [N, 1, 1, D]). Pick the embedding output in the manifest.");
            Dimension = dimension;
            OutputShapeTail = od[1..].Select(x => (long)x).ToArray();
        }
        catch
        {
            _runOptions.Dispose();
            throw;
        }
        _input = new float[maxBatch * SampleSize];
        _output = new float[maxBatch * Dimension];
        _inputValues = new OrtValue?[maxBatch + 1];
        _outputValues = new OrtValue?[maxBatch + 1];
        _bindings = new OrtIoBinding?[maxBatch + 1];
    }

    /// <summary>The session (its provider is <see cref="OnnxSession.ActiveProvider"/>).</summary>
    public OnnxSession Session { get; }

    /// <summary>Model name for messages.</summary>
    public string DisplayName { get; }

    /// <summary>Input name.</summary>
    public string InputName { get; }

    /// <summary>Embedding output name.</summary>
    public string OutputName { get; }

    /// <summary>Per-sample input shape (without the batch dimension).</summary>
    public IReadOnlyList<long> SampleShape { get; }

    /// <summary>Floats per sample.</summary>
    public int SampleSize { get; }

    /// <summary>Embedding length.</summary>
    public int Dimension { get; }

    /// <summary>Largest batch.</summary>
    public int MaxBatch { get; }

    private long[] OutputShapeTail { get; }

    /// <summary>
    /// The embedding length of an output shaped [N, …] whose non-batch axes hold one non-unit axis
    /// ([N, D], [N, D, 1, 1] channels-first, [N, 1, 1, D] channels-last); null when the output is not an embedding.
    /// </summary>
    public static int? EmbeddingDimensionOf(NodeMetadata output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!output.IsTensor || output.ElementDataType != TensorElementType.Float || output.Dimensions.Length < 2)
            return null;
        int[] tail = output.Dimensions[1..];
        if (tail.Any(d => d <= 0) || tail.Count(d => d > 1) > 1)
            return null;
        return tail.Aggregate(1, (a, b) => a * b);
    }

    /// <summary>The input slot of sample <paramref name="index"/> in the next batch; write the preprocessed sample here.</summary>
    public Span<float> InputSlot(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, MaxBatch);
        return _input.AsSpan(index * SampleSize, SampleSize);
    }

    /// <summary>The embedding of sample <paramref name="index"/> from the last run.</summary>
    public ReadOnlySpan<float> Embedding(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, MaxBatch);
        return _output.AsSpan(index * Dimension, Dimension);
    }

    /// <summary>Runs the first <paramref name="count"/> input slots through the model.</summary>
    /// <exception cref="OnnxRuntimeException">ONNX Runtime failed.</exception>
    public void Run(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxBatch);
        // An IoBinding per batch size, bound once over the pinned buffers: Run(names, values) re-marshals the
        // names on every call (~350 B of garbage per run); a bound run allocates nothing.
        OrtIoBinding binding = _bindings[count] ??= Bind(count);
        Session.Session.RunWithBinding(_runOptions, binding);
    }

    private OrtIoBinding Bind(int count)
    {
        OrtValue input = _inputValues[count] = CreateValue(_input, count, SampleShape);
        OrtValue output = _outputValues[count] = CreateValue(_output, count, OutputShapeTail);
        OrtIoBinding binding = Session.Session.CreateIoBinding();
        binding.BindInput(InputName, input);
        binding.BindOutput(OutputName, output);
        return binding;
    }

    private static OrtValue CreateValue(float[] buffer, int batch, IReadOnlyList<long> tail)
    {
        long[] shape = [batch, .. tail];
        int length = checked((int)shape.Aggregate(1L, (a, b) => a * b));
        return OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffer.AsMemory(0, length), shape);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (OrtValue? v in _inputValues) v?.Dispose();
        foreach (OrtValue? v in _outputValues) v?.Dispose();
        foreach (OrtIoBinding? b in _bindings) b?.Dispose();
        _runOptions.Dispose();
        Session.Dispose();
    }
}
