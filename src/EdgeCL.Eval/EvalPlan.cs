using EdgeCL.Core.Evaluation;
using EdgeCL.Core.Learning;
using EdgeCL.Eval.Data;
using EdgeCL.Eval.Embedding;
using EdgeCL.Eval.Shifts;
using EdgeCL.Onnx.Backbones;

namespace EdgeCL.Eval;

/// <summary>A validated evaluation, ready to run: data listed, backbone open, streams of every draw built.</summary>
/// <remarks>Owns the backbone: dispose it.</remarks>
public sealed class EvalPlan : IDisposable
{
    internal EvalPlan(EvalSettings settings, LearnerRegistry learners, EmbeddingAdapterRegistry adapters, IReadOnlyList<MethodSpec> methods,
        LearnerOptions learnerOptions, Dataset dataset, Dataset? test, IReadOnlyList<DatasetItem> items, IReadOnlyList<string> domains,
        IReadOnlyList<ShiftSpec> shifts, IReadOnlyList<EvaluationStream> streams, IEmbeddingBackbone? backbone, ISampleEmbedder embedder)
    {
        Settings = settings;
        Learners = learners;
        Adapters = adapters;
        Methods = methods;
        LearnerOptions = learnerOptions;
        Dataset = dataset;
        Test = test;
        Items = items;
        Domains = domains;
        Shifts = shifts;
        Streams = streams;
        Backbone = backbone;
        Embedder = embedder;
        Cache = new EmbeddingCache(embedder, items, shifts);
    }

    /// <summary>The settings.</summary>
    public EvalSettings Settings { get; }

    /// <summary>Learner registry.</summary>
    public LearnerRegistry Learners { get; }

    /// <summary>Adapter registry.</summary>
    public EmbeddingAdapterRegistry Adapters { get; }

    /// <summary>The methods, in order.</summary>
    public IReadOnlyList<MethodSpec> Methods { get; }

    /// <summary>Shared learner settings and method parameters.</summary>
    public LearnerOptions LearnerOptions { get; }

    /// <summary>The labelled data (or the manifest's files).</summary>
    public Dataset Dataset { get; }

    /// <summary>The separate test data, or null.</summary>
    public Dataset? Test { get; }

    /// <summary>Every item: the dataset's, then the test set's.</summary>
    public IReadOnlyList<DatasetItem> Items { get; }

    /// <summary>Domain names (index 0 = source).</summary>
    public IReadOnlyList<string> Domains { get; }

    /// <summary>Shift of each domain.</summary>
    public IReadOnlyList<ShiftSpec> Shifts { get; }

    /// <summary>One stream per draw.</summary>
    public IReadOnlyList<EvaluationStream> Streams { get; }

    /// <summary>The backbone (null for .npy).</summary>
    public IEmbeddingBackbone? Backbone { get; }

    /// <summary>Embeds items under shifts.</summary>
    public ISampleEmbedder Embedder { get; }

    /// <summary>Static embeddings of (item, domain).</summary>
    public EmbeddingCache Cache { get; }

    /// <inheritdoc/>
    public void Dispose() => Backbone?.Dispose();
}
