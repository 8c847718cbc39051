namespace EdgeCL.Core.Memory;

/// <summary>One class and its score, as returned by top-k queries.</summary>
/// <param name="ClassIndex">Index of the class in the memory.</param>
/// <param name="Label">The class label.</param>
/// <param name="Score">Similarity (cosine, or negative squared distance).</param>
public readonly record struct ClassScore(int ClassIndex, string Label, float Score);
