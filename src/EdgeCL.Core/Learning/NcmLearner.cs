using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Learning;

/// <summary>Nearest class mean over a <see cref="PrototypeMemory"/>: learns from labels only, never adapts.</summary>
/// <remarks>
/// <c>ncm</c> compares L2-normalised queries with L2-normalised class means (no centring); <c>ncm-centred</c> first
/// subtracts the mean of every labelled example (CL2N), which raw openWakeWord embeddings need (feasibility.md §4).
/// <see cref="Observe"/> is <see cref="Predict"/>: the static baseline every adaptation method is compared with.
/// </remarks>
public sealed class NcmLearner : IStreamLearner
{
    /// <summary>Registry name of the uncentred variant.</summary>
    public const string PlainName = "ncm";

    /// <summary>Registry name of the CL2N variant.</summary>
    public const string CentredName = "ncm-centred";

    /// <summary>Creates an empty learner.</summary>
    /// <param name="space">The embedding space.</param>
    /// <param name="centring"><see cref="CentringMode.None"/> or <see cref="CentringMode.LabelledMean"/>.</param>
    /// <param name="options">Metric and temperature; null for the defaults.</param>
    /// <exception cref="ArgumentException">Supplied centring (this learner has no source for a supplied centre) or bad options.</exception>
    public NcmLearner(EmbeddingSpace space, CentringMode centring, LearnerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(space);
        if (centring == CentringMode.Supplied)
            throw new ArgumentException("NcmLearner takes CentringMode.None or LabelledMean; a supplied centre belongs to an adaptation method.", nameof(centring));
        options ??= LearnerOptions.Default;
        options.Validate();
        Memory = new PrototypeMemory(space, new PrototypeMemoryOptions { Metric = options.Metric, Centring = centring, Temperature = options.Temperature });
        Name = centring == CentringMode.None ? PlainName : CentredName;
        _openSet = options.OpenSet;
    }

    private readonly OpenSet.OpenSetOptions? _openSet;

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public EmbeddingSpace Space => Memory.Space;

    /// <inheritdoc/>
    public int ClassCount => Memory.ClassCount;

    /// <summary>The prototypes.</summary>
    public PrototypeMemory Memory { get; }

    /// <inheritdoc/>
    public void Learn(string label, ReadOnlySpan<float> embedding) => Memory.Add(label, embedding);

    /// <inheritdoc/>
    public Prediction Predict(ReadOnlySpan<float> embedding)
    {
        Prediction p = Memory.Predict(embedding);
        return OpenSet.OpenSetGate.Apply(p, p.Score, _openSet);
    }

    /// <inheritdoc/>
    public Prediction Observe(ReadOnlySpan<float> embedding) => Predict(embedding);

    /// <inheritdoc/>
    public void Reset()
    {
        // Nothing is learned from unlabelled samples.
    }

    /// <inheritdoc/>
    public bool Forget(string label) => Memory.Forget(label);
}
