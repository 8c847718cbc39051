namespace EdgeCL.Core.Evaluation;

/// <summary>One continual evaluation: the correct count of every held-out set after a step.</summary>
/// <param name="Step">Index of the last step applied.</param>
/// <param name="Task">The task that step belongs to.</param>
/// <param name="Correct">Correct predictions per set; −1 for a set not yet introduced (not evaluated).</param>
/// <param name="IsTaskEnd">True when <paramref name="Step"/> is the last step of its task (a row of the accuracy matrix).</param>
public sealed record EvaluationPoint(int Step, int Task, int[] Correct, bool IsTaskEnd);
