namespace EdgeCL.Core.Rollout;

/// <summary>How a <see cref="SpaceMap"/> is fitted.</summary>
public enum SpaceMapKind
{
    /// <summary>
    /// Scaled orthogonal Procrustes: y = s·R·(x − x̄) + ȳ with R semi-orthogonal (orthonormal columns when the target is
    /// larger, orthonormal rows when it is smaller). Keeps angles, so it cannot distort the old space; it can only rotate,
    /// embed or project it.
    /// </summary>
    Procrustes,

    /// <summary>Ridge least squares: y = W·(x − x̄) + ȳ minimising Σ‖y − ŷ‖² + λ‖W‖². Can follow a map that stretches or mixes dimensions.</summary>
    Ridge,
}
