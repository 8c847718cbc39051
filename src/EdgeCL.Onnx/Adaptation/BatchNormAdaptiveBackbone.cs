using EdgeCL.Core.Vectors;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Images;
using EdgeCL.Onnx.Sessions;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCL.Onnx.Adaptation;

/// <summary>
/// An image backbone whose BatchNormalization statistics adapt online at batch size 1, gradient-free: RoTTA's robust BN
/// (RBN, algorithms.md) over a model rewritten by <see cref="BatchNormStatisticsRewrite"/>.
/// </summary>
/// <remarks>
/// <para>Each run feeds the current estimates (μ, σ²) of every BN and reads back the batch statistics of its input.
/// An adaptive run then updates the estimates by an exponential moving average with momentum α (default 0.05, as in
/// RoTTA) started from the source statistics (the prior), so the embedding of a sample always uses statistics from
/// before it (the online protocol). Predict-only runs leave the estimates alone; <see cref="Reset"/> restores the prior.</para>
/// <para>The variance update is the exact mixture form σ² ← (1−α)(σ² + α·δ²) + α·σ²_batch with δ = μ_batch − μ:
/// RoTTA averages over a 64-sample memory batch, but at batch size 1 a BN on [N, C] sees a within-batch variance of
/// 0, and the plain (1−α)σ² + α·σ²_batch would decay its variance to zero; the δ² term keeps the spread between
/// samples. With many samples per batch and a stable mean it reduces to RoTTA's update.</para>
/// <para>All buffers and the IoBinding are made once: steady-state runs allocate nothing. Not thread-safe; owns its session.</para>
/// </remarks>
public sealed class BatchNormAdaptiveBackbone : IDisposable
{
    /// <summary>RoTTA's RBN momentum (algorithms.md): how far one sample moves the estimates.</summary>
    public const float DefaultMomentum = 0.05f;

    private readonly OnnxSession _session;
    private readonly ImagePreprocessor _preprocessor;
    private readonly BatchNormLayer[] _layers;
    private readonly float[] _input;
    private readonly float[] _output;
    private readonly float[][] _mean, _variance, _batchMean, _batchVariance;
    private readonly List<OrtValue> _values = [];
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions = new();

    /// <summary>Rewrites and opens an image model.</summary>
    /// <param name="modelBytes">The original model (BN statistics as initializers).</param>
    /// <param name="displayName">Model name for messages.</param>
    /// <param name="preprocessing">Image preprocessing.</param>
    /// <param name="inputName">Image input, or null for the model's first input.</param>
    /// <param name="outputName">Embedding output, or null for the model's first output.</param>
    /// <param name="sessionOptions">Provider chain and threading.</param>
    /// <param name="momentum">α in (0, 1].</param>
    /// <param name="logger">Receives provider warnings.</param>
    /// <exception cref="ModelLoadException">The model has no BN nodes or does not fit.</exception>
    public BatchNormAdaptiveBackbone(byte[] modelBytes, string displayName, ImagePreprocessing preprocessing, string? inputName, string? outputName,
        SessionOptionsSpec sessionOptions, float momentum = DefaultMomentum, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        if (!(momentum > 0 && momentum <= 1))
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "The BN momentum must be in (0, 1]; RoTTA uses 0.05.");
        Momentum = momentum;
        BatchNormRewriteResult rewrite = BatchNormStatisticsRewrite.Apply(modelBytes, displayName);
        _layers = [.. rewrite.Layers];
        _preprocessor = new ImagePreprocessor(preprocessing);
        // The zero self-test feeds zeros to every input: a zero variance is harmless (BN adds epsilon).
        _session = OnnxSessionFactory.Create(rewrite.Model, displayName, sessionOptions, null, logger);
        try
        {
            InferenceSession s = _session.Session;
            var statInputs = new HashSet<string>(_layers.SelectMany(l => new[] { l.MeanInput, l.VarianceInput }), StringComparer.Ordinal);
            InputName = inputName ?? s.InputNames.First(n => !statInputs.Contains(n));
            OutputName = outputName ?? s.ModelMetadata.CustomMetadataMap.GetValueOrDefault(OnnxEmbeddingModel.EmbeddingOutputMetadataKey) ?? s.OutputNames[0];
            if (!s.InputMetadata.TryGetValue(InputName, out NodeMetadata? inMeta) || !s.OutputMetadata.TryGetValue(OutputName, out NodeMetadata? outMeta))
                throw new ModelLoadException($"'{displayName}' has no input '{InputName}' or no output '{OutputName}'; fix the backbone manifest.");
            long[] inShape = [1, .. inMeta.Dimensions[1..].Select(d => (long)d)];
            long[] outShape = [1, .. outMeta.Dimensions[1..].Select(d => (long)d)];
            if (OnnxEmbeddingModel.EmbeddingDimensionOf(outMeta) is not { } dimension || inShape.Skip(1).Any(d => d <= 0))
                throw new ModelLoadException($"'{displayName}' output '{OutputName}' is not an embedding [N, D] or input '{InputName}' has dynamic sample dimensions; fix the model.");
            if (inShape.Skip(1).Aggregate(1L, (a, b) => a * b) != _preprocessor.SampleSize)
                throw new ModelLoadException($"'{displayName}' input holds {inShape.Skip(1).Aggregate(1L, (a, b) => a * b)} floats per sample but the preprocessing gives {_preprocessor.SampleSize}; fix the manifest.");
            Dimension = dimension;
            _input = new float[_preprocessor.SampleSize];
            _output = new float[dimension];
            _mean = [.. _layers.Select(l => (float[])l.SourceMean.Clone())];
            _variance = [.. _layers.Select(l => (float[])l.SourceVariance.Clone())];
            _batchMean = [.. _layers.Select(l => new float[l.Channels])];
            _batchVariance = [.. _layers.Select(l => new float[l.Channels])];

            // Bound once over pinned arrays: the estimates are updated in place, so the next run sees them.
            _binding = s.CreateIoBinding();
            _binding.BindInput(InputName, Value(_input, inShape));
            _binding.BindOutput(OutputName, Value(_output, outShape));
            for (int i = 0; i < _layers.Length; i++)
            {
                long[] c = [_layers[i].Channels];
                _binding.BindInput(_layers[i].MeanInput, Value(_mean[i], c));
                _binding.BindInput(_layers[i].VarianceInput, Value(_variance[i], c));
                _binding.BindOutput(_layers[i].BatchMeanOutput, Value(_batchMean[i], c));
                _binding.BindOutput(_layers[i].BatchVarianceOutput, Value(_batchVariance[i], c));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Opens the BN-adaptive twin of an image backbone (same model file, preprocessing and session settings).</summary>
    /// <exception cref="ModelLoadException">The model has no BN nodes.</exception>
    public static BatchNormAdaptiveBackbone FromImageBackbone(ImageBackbone backbone, float momentum = DefaultMomentum)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        return new BatchNormAdaptiveBackbone(BackboneCatalog.ReadModelBytes(backbone.ModelPath), backbone.Name, backbone.Preprocessing,
            backbone.Model.InputName, backbone.Model.OutputName, backbone.SessionOptions, momentum);
    }

    /// <summary>EMA momentum α.</summary>
    public float Momentum { get; }

    /// <summary>Embedding length.</summary>
    public int Dimension { get; }

    /// <summary>Image input name.</summary>
    public string InputName { get; }

    /// <summary>Embedding output name.</summary>
    public string OutputName { get; }

    /// <summary>The BN layers (names and source priors).</summary>
    public IReadOnlyList<BatchNormLayer> Layers => _layers;

    /// <summary>Adaptive runs whose statistics were applied.</summary>
    public long Updates { get; private set; }

    /// <summary>Adaptive runs refused because a batch statistic was not finite.</summary>
    public long Refused { get; private set; }

    /// <summary>The preprocessed input of the next run (one sample).</summary>
    public Span<float> InputSlot => _input;

    /// <summary>The embedding of the last run.</summary>
    public ReadOnlySpan<float> Embedding => _output;

    /// <summary>The current mean estimate of layer <paramref name="layer"/>.</summary>
    public ReadOnlySpan<float> Mean(int layer) => _mean[layer];

    /// <summary>The current variance estimate of layer <paramref name="layer"/>.</summary>
    public ReadOnlySpan<float> Variance(int layer) => _variance[layer];

    /// <summary>The batch mean layer <paramref name="layer"/> saw in the last run.</summary>
    public ReadOnlySpan<float> BatchMean(int layer) => _batchMean[layer];

    /// <summary>The batch variance layer <paramref name="layer"/> saw in the last run.</summary>
    public ReadOnlySpan<float> BatchVariance(int layer) => _batchVariance[layer];

    /// <summary>Runs <see cref="InputSlot"/> with the current estimates; when <paramref name="adapt"/>, then folds its batch statistics in.</summary>
    /// <returns>False when <paramref name="adapt"/> was asked but a batch statistic was not finite (estimates unchanged).</returns>
    public bool Run(bool adapt)
    {
        _session.Session.RunWithBinding(_runOptions, _binding);
        return !adapt || Update();
    }

    /// <summary>Preprocesses and embeds one image (see <see cref="Run"/>).</summary>
    /// <exception cref="InputFormatException">The model produced a non-finite embedding.</exception>
    public void EmbedImage(DecodedImage image, Span<float> embedding, bool adapt)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (embedding.Length != Dimension)
            throw new ArgumentException($"The embedding span has {embedding.Length} slots; this backbone outputs {Dimension}.", nameof(embedding));
        _preprocessor.Process(image, _input);
        Run(adapt);
        if (!VectorKernels.AllFinite(_output))
            throw new InputFormatException("The BN-adaptive backbone produced NaN or infinity for this input; the input is probably corrupt or out of range.");
        _output.CopyTo(embedding);
    }

    /// <summary>Restores every estimate to the source statistics.</summary>
    public void Reset()
    {
        for (int i = 0; i < _layers.Length; i++)
        {
            _layers[i].SourceMean.CopyTo(_mean[i], 0);
            _layers[i].SourceVariance.CopyTo(_variance[i], 0);
        }
    }

    private bool Update()
    {
        // Refuse the whole sample when any layer's statistic is not finite: a partial update would mix two states.
        for (int i = 0; i < _layers.Length; i++)
        {
            if (!VectorKernels.AllFinite(_batchMean[i]) || !VectorKernels.AllFinite(_batchVariance[i]))
            {
                Refused++;
                return false;
            }
        }
        float a = Momentum;
        for (int i = 0; i < _layers.Length; i++)
        {
            float[] m = _mean[i], v = _variance[i], bm = _batchMean[i], bv = _batchVariance[i];
            for (int c = 0; c < m.Length; c++)
            {
                float d = bm[c] - m[c];
                m[c] += a * d;
                v[c] = (1 - a) * (v[c] + a * d * d) + a * MathF.Max(bv[c], 0);
            }
        }
        Updates++;
        return true;
    }

    private OrtValue Value(float[] buffer, long[] shape)
    {
        OrtValue value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffer.AsMemory(), shape);
        _values.Add(value);
        return value;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _binding?.Dispose();
        foreach (OrtValue v in _values) v.Dispose();
        _values.Clear();
        _runOptions.Dispose();
        _session?.Dispose();
    }
}
