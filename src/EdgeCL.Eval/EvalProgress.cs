namespace EdgeCL.Eval;

/// <summary>Progress of an evaluation, for a progress bar.</summary>
/// <param name="Phase">What is running ("embedding", or "method draw d/D").</param>
/// <param name="Done">Units done.</param>
/// <param name="Total">Units in the phase.</param>
public readonly record struct EvalProgress(string Phase, int Done, int Total);
