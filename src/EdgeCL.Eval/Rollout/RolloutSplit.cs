namespace EdgeCL.Eval.Rollout;

/// <summary>One labelled set embedded by both backbones.</summary>
/// <param name="Labels">One label per item.</param>
/// <param name="OldRows">Items × old dimension, row-major: the old backbone's embeddings.</param>
/// <param name="NewRows">Items × new dimension, row-major: the new backbone's embeddings of the same items.</param>
/// <param name="Inputs">Each item's raw input (what an exemplar store keeps), or null for a set that is only scored.</param>
public sealed record RolloutSplit(IReadOnlyList<string> Labels, float[] OldRows, float[] NewRows, IReadOnlyList<byte[]>? Inputs);
