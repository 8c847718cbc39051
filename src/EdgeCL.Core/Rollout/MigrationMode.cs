namespace EdgeCL.Core.Rollout;

/// <summary>How a class with exemplars gets its new-space prototype.</summary>
public enum MigrationMode
{
    /// <summary>
    /// Keeps the class's count n: the k re-embedded exemplars enter exactly, and the n − k examples the device no longer
    /// has enter as the map of their old-space mean, (n·μ − Σ old exemplars) / (n − k). With k = n it is the exact mean; with no
    /// map it falls back to <see cref="ExemplarsOnly"/>.
    /// </summary>
    Blend,

    /// <summary>The mean of the re-embedded exemplars alone, and the count drops to k: only what was re-embedded is claimed.</summary>
    ExemplarsOnly,
}
