namespace EdgeCL.Core.Rollout;

/// <summary>A backbone rollout step was refused: a map fitted on too few or degenerate pairs, wrong dimensions, NaN,
/// an exemplar over budget, or a target space nothing produces.</summary>
/// <remarks>Thrown before any state changes: the caller's memory and exemplar store are exactly as they were.</remarks>
public sealed class RolloutException : ArgumentException
{
    /// <summary>Creates the exception with a one-line message that says what was wrong and what to do.</summary>
    public RolloutException(string message) : base(message) { }
}
