namespace EdgeCL.Core.Evaluation;

/// <summary>A held-out set evaluated during the stream (a column of the accuracy matrix).</summary>
/// <param name="Name">Display name (task classes, or the domain).</param>
/// <param name="Task">The task that introduces it: it is evaluated from the start of that task on ("seen" sets only).</param>
/// <param name="Domain">Index into <see cref="EvaluationStream.Domains"/>, for per-domain reporting.</param>
/// <param name="Samples">Indices into <see cref="EvaluationStream.Samples"/>.</param>
public sealed record EvaluationSet(string Name, int Task, int Domain, IReadOnlyList<int> Samples);
