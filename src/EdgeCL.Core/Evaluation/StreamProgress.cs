namespace EdgeCL.Core.Evaluation;

/// <summary>Progress of a stream run, for progress bars.</summary>
/// <param name="Method">The method running.</param>
/// <param name="Step">Steps done.</param>
/// <param name="Steps">Steps in the stream.</param>
public readonly record struct StreamProgress(string Method, int Step, int Steps);
