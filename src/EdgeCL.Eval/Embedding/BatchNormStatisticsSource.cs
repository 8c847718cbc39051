using System.Globalization;
using EdgeCL.Core.Evaluation;
using EdgeCL.Core.Vectors;
using EdgeCL.Eval.Data;
using EdgeCL.Eval.Shifts;
using EdgeCL.Onnx.Adaptation;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Images;

namespace EdgeCL.Eval.Embedding;

/// <summary>
/// The <c>bn-stats</c> embedding adapter: each sample goes through the BN-rewritten image backbone
/// (<see cref="BatchNormAdaptiveBackbone"/>) with the running BN estimates of this method and draw.
/// </summary>
/// <remarks>
/// Only <see cref="EmbeddingPurpose.Observe"/> (unlabelled stream steps) updates the estimates, after the sample is
/// embedded (online protocol: a prediction uses statistics from before its sample); Learn and Evaluate embed with the
/// current estimates and change nothing. The sample's domain is never passed to the backbone. Not thread-safe; owns a session.
/// </remarks>
public sealed class BatchNormStatisticsSource : IEmbeddingSource, IDisposable
{
    /// <summary>Adapter name in <c>--methods</c>.</summary>
    public const string Name = "bn-stats";

    private readonly BatchNormAdaptiveBackbone _backbone;
    private readonly EmbeddingAdapterContext _context;
    private readonly int _channels;

    /// <summary>Opens the BN-adaptive twin of the context's image backbone.</summary>
    /// <exception cref="ModelLoadException">The backbone is not an image backbone or its model has no BatchNormalization nodes.</exception>
    public BatchNormStatisticsSource(EmbeddingAdapterContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Backbone is not ImageBackbone image)
            throw new ModelLoadException($"The '{Name}' adapter needs an image backbone (e.g. -b digits); this run has {(context.Backbone is null ? "precomputed embeddings" : "'" + context.Backbone.Name + "'")}.");
        _backbone = BatchNormAdaptiveBackbone.FromImageBackbone(image, ReadMomentum(context.Parameters));
        _context = context;
        _channels = image.Channels;
        Space = context.StaticCache.Space;
    }

    /// <summary>Parameter key of the EMA momentum α.</summary>
    public const string MomentumKey = Name + ".momentum";

    /// <summary>The adapter descriptor for <see cref="EmbeddingAdapterRegistry"/>.</summary>
    public static EmbeddingAdapterDescriptor Descriptor { get; } = new(Name,
        "Test-time BN statistics (RoTTA RBN): running mean/var per BN, EMA momentum from the source prior, updated on unlabelled samples; image backbones with BN nodes.",
        c => new BatchNormStatisticsSource(c),
        new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [MomentumKey] = string.Create(CultureInfo.InvariantCulture, $"EMA momentum α of the running BN statistics, in (0, 1] (default {BatchNormAdaptiveBackbone.DefaultMomentum})"),
        });

    /// <summary>The momentum set by <c>bn-stats.momentum</c>, or the default.</summary>
    /// <exception cref="ArgumentException">Not a number in (0, 1].</exception>
    public static float ReadMomentum(IReadOnlyDictionary<string, string>? parameters)
    {
        if (parameters is null || !parameters.TryGetValue(MomentumKey, out string? text))
            return BatchNormAdaptiveBackbone.DefaultMomentum;
        if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) || !(value > 0f && value <= 1f))
            throw new ArgumentException($"Parameter {MomentumKey}='{text}' must be a number in (0, 1].");
        return value;
    }

    /// <inheritdoc/>
    public EmbeddingSpace Space { get; }

    /// <inheritdoc/>
    public bool IsStatic => false;

    /// <summary>The adaptive backbone (estimates, update counts).</summary>
    public BatchNormAdaptiveBackbone Backbone => _backbone;

    /// <inheritdoc/>
    public void Embed(int sample, EmbeddingPurpose purpose, Span<float> destination)
    {
        StreamSample s = _context.Stream.Samples[sample];
        DatasetItem item = _context.Items[s.Item];
        ShiftSpec shift = _context.Shifts[s.Domain];
        // Same decode and corruption (same seed) as ImageSampleEmbedder, so only the BN statistics differ.
        DecodedImage decoded = ImageDecoder.DecodeFile(item.Path, _channels);
        if (!shift.IsClean)
            decoded = ImageCorruptions.Apply(shift, decoded, DeterministicRandom.Derive(_context.Seed, "shift:" + shift.DomainName + ":" + item.Key));
        _backbone.EmbedImage(decoded, destination, adapt: purpose == EmbeddingPurpose.Observe);
    }

    /// <inheritdoc/>
    public void Reset() => _backbone.Reset();

    /// <inheritdoc/>
    public void Dispose() => _backbone.Dispose();
}
