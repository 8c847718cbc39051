namespace EdgeCL.Core.Memory;

/// <summary>Read-only view of one stored class.</summary>
/// <param name="Label">The class label.</param>
/// <param name="Count">Labelled examples folded into the mean.</param>
/// <param name="Version">Bumped on every change of the class; survives forget as a tombstone (for fleet sync).</param>
public readonly record struct ClassSummary(string Label, long Count, long Version);
