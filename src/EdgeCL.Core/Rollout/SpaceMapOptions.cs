namespace EdgeCL.Core.Rollout;

/// <summary>Settings of <see cref="SpaceMap.Fit"/>.</summary>
public sealed record SpaceMapOptions
{
    /// <summary>Largest source or target dimension fitted here: a Gram matrix of 4096² doubles is 128 MiB, the most a device should spend.</summary>
    public const int MaxDimension = 4096;

    /// <summary>The fitting method. Default <see cref="SpaceMapKind.Procrustes"/>.</summary>
    public SpaceMapKind Kind { get; init; } = SpaceMapKind.Procrustes;

    /// <summary>
    /// Ridge strength α, relative to the data: λ = α · trace(XᵀX) / dimension, the mean eigenvalue of the centred source
    /// Gram matrix, so α does not depend on the embedding's scale. Default 0.1. Used by <see cref="SpaceMapKind.Ridge"/> only.
    /// </summary>
    public double RidgeStrength { get; init; } = 0.1;

    /// <summary>
    /// Fewest paired embeddings accepted. Default 8: with fewer, the map is mostly its regulariser (ridge) or an arbitrary
    /// rotation of a few directions (Procrustes), and mapped prototypes would be guesses.
    /// </summary>
    public int MinimumPairs { get; init; } = 8;

    /// <summary>The defaults.</summary>
    public static SpaceMapOptions Default { get; } = new();

    /// <summary>Validates every setting.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it and the allowed range.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Kind))
            throw new ArgumentException($"SpaceMapOptions.Kind {Kind} is not a known kind (procrustes, ridge).");
        if (!(RidgeStrength > 0) || !double.IsFinite(RidgeStrength) || RidgeStrength > 1e6)
            throw new ArgumentException($"SpaceMapOptions.RidgeStrength must be in (0, 1e6], got {RidgeStrength}.");
        if (MinimumPairs is < 2 or > 1_000_000)
            throw new ArgumentException($"SpaceMapOptions.MinimumPairs must be in 2..1000000, got {MinimumPairs}.");
    }
}
