namespace EdgeCL.Core.Memory;

/// <summary>Settings of a <see cref="PrototypeMemory"/>.</summary>
public sealed record PrototypeMemoryOptions
{
    /// <summary>Comparison of queries with prototypes. Default cosine.</summary>
    public SimilarityMetric Metric { get; init; } = SimilarityMetric.Cosine;

    /// <summary>Centring applied to queries and prototypes. Default: the labelled mean (CL2N).</summary>
    public CentringMode Centring { get; init; } = CentringMode.LabelledMean;

    /// <summary>Softmax temperature over scores for confidence and entropy. Default 0.1 (cosine scale).</summary>
    public float Temperature { get; init; } = 0.1f;

    /// <summary>Most classes the memory accepts. Default 10,000.</summary>
    public int MaxClasses { get; init; } = 10_000;

    /// <summary>Longest label in UTF-16 characters. Default 128.</summary>
    public int MaxLabelLength { get; init; } = 128;

    /// <summary>The defaults.</summary>
    public static PrototypeMemoryOptions Default { get; } = new();

    /// <summary>Validates every setting.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it and the allowed range.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Metric))
            throw new ArgumentException($"PrototypeMemoryOptions.Metric {Metric} is not a known metric (cosine, squared-euclidean).");
        if (!Enum.IsDefined(Centring))
            throw new ArgumentException($"PrototypeMemoryOptions.Centring {Centring} is not a known mode (none, labelled-mean, supplied).");
        if (!(Temperature > 0f) || !float.IsFinite(Temperature))
            throw new ArgumentException($"PrototypeMemoryOptions.Temperature must be a finite number > 0, got {Temperature}.");
        if (MaxClasses is < 1 or > 1_000_000)
            throw new ArgumentException($"PrototypeMemoryOptions.MaxClasses must be in 1..1000000, got {MaxClasses}.");
        if (MaxLabelLength is < 1 or > 1024)
            throw new ArgumentException($"PrototypeMemoryOptions.MaxLabelLength must be in 1..1024, got {MaxLabelLength}.");
    }
}
