using EdgeCL.Core.Evaluation;
using EdgeCL.Eval.Data;
using EdgeCL.Eval.Shifts;
using EdgeCL.Onnx.Backbones;

namespace EdgeCL.Eval.Embedding;

/// <summary>What a backbone-level adapter gets to build its per-method embedding source.</summary>
/// <param name="Backbone">The opened static backbone (null for .npy embeddings): its manifest, model and session settings.</param>
/// <param name="Stream">The stream of this draw (samples refer to <paramref name="Items"/> and domain shifts).</param>
/// <param name="Items">Every dataset item.</param>
/// <param name="Shifts">The shift of each stream domain.</param>
/// <param name="Seed">The run seed.</param>
/// <param name="StaticCache">Static embeddings (for an adapter that only post-processes them).</param>
public sealed record EmbeddingAdapterContext(IEmbeddingBackbone? Backbone, EvaluationStream Stream, IReadOnlyList<DatasetItem> Items,
    IReadOnlyList<ShiftSpec> Shifts, long Seed, EmbeddingCache StaticCache, IReadOnlyDictionary<string, string>? Parameters = null);

/// <summary>Builds a fresh, stateful embedding source for one method and one draw.</summary>
public delegate IEmbeddingSource EmbeddingAdapterFactory(EmbeddingAdapterContext context);

/// <summary>A registered backbone-level adapter.</summary>
/// <param name="Name">Name used before '+' in <c>--methods</c> (e.g. <c>bn-stats</c> in <c>bn-stats+ncm-centred</c>).</param>
/// <param name="Description">One line.</param>
/// <param name="Factory">Builds its embedding source.</param>
/// <param name="Parameters">Parameter keys it reads (<c>name.key</c>, set with <c>--param</c>), with a one-line description each; null for none.</param>
public sealed record EmbeddingAdapterDescriptor(string Name, string Description, EmbeddingAdapterFactory Factory,
    IReadOnlyDictionary<string, string>? Parameters = null);

/// <summary>Backbone-level adapters (they change embeddings, so each method gets its own non-cached source).</summary>
/// <remarks>
/// A method is <c>[adapter+]learner</c>. BN-statistics adaptation (design.md §4) registers here: its factory opens
/// the BN-rewritten graph of <see cref="EmbeddingAdapterContext.Backbone"/>, and its <see cref="IEmbeddingSource"/>
/// embeds each sample afresh, updating its running statistics on <see cref="EmbeddingPurpose.Observe"/> only and
/// dropping them on <see cref="IEmbeddingSource.Reset"/> (<see cref="BatchNormStatisticsSource"/>, <c>bn-stats</c>).
/// </remarks>
public sealed class EmbeddingAdapterRegistry
{
    private readonly List<EmbeddingAdapterDescriptor> _adapters = [];

    /// <summary>The adapters EdgeCL ships: <c>bn-stats</c> (BN-statistics adaptation, <see cref="BatchNormStatisticsSource"/>).</summary>
    public static EmbeddingAdapterRegistry CreateDefault()
    {
        var registry = new EmbeddingAdapterRegistry();
        registry.Register(BatchNormStatisticsSource.Descriptor);
        return registry;
    }

    /// <summary>Registered adapters.</summary>
    public IReadOnlyList<EmbeddingAdapterDescriptor> Adapters => _adapters;

    /// <summary>Adds an adapter.</summary>
    /// <exception cref="ArgumentException">Duplicate name.</exception>
    public void Register(EmbeddingAdapterDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        if (TryGet(descriptor.Name, out _))
            throw new ArgumentException($"An embedding adapter named '{descriptor.Name}' is already registered.", nameof(descriptor));
        _adapters.Add(descriptor);
    }

    /// <summary>Finds an adapter.</summary>
    public bool TryGet(string name, out EmbeddingAdapterDescriptor descriptor)
    {
        descriptor = _adapters.FirstOrDefault(a => a.Name == name)!;
        return descriptor is not null;
    }
}
