using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Learning;

/// <summary>Creates a fresh learner for one embedding space.</summary>
/// <param name="space">The space of every vector the learner will see.</param>
/// <param name="options">Shared settings and method parameters (already validated).</param>
public delegate IStreamLearner LearnerFactory(EmbeddingSpace space, LearnerOptions options);
