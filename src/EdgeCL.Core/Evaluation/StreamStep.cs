namespace EdgeCL.Core.Evaluation;

/// <summary>One step of a stream.</summary>
/// <param name="Sample">Index into <see cref="EvaluationStream.Samples"/>.</param>
/// <param name="Labelled">True: the learner gets the label (<c>Learn</c>); false: it only observes (<c>Observe</c>).</param>
/// <param name="Task">Index into <see cref="EvaluationStream.Tasks"/>; tasks are contiguous and non-decreasing.</param>
public readonly record struct StreamStep(int Sample, bool Labelled, int Task);
