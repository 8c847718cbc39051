namespace EdgeCL.Core.Evaluation;

/// <summary>One evaluated pipeline: an embedding source (backbone, possibly adapting) and a learner.</summary>
/// <param name="Name">Name shown in reports (e.g. <c>ncm-centred</c>, or <c>bn-stats+ncm-centred</c>).</param>
/// <param name="Learner">A fresh learner.</param>
/// <param name="Embeddings">Where its embeddings come from.</param>
public sealed record EvaluationMethod(string Name, Learning.IStreamLearner Learner, IEmbeddingSource Embeddings);
