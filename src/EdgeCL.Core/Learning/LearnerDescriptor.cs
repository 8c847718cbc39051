namespace EdgeCL.Core.Learning;

/// <summary>A registered learning method: its name, what it does, how to build it and which parameters it reads.</summary>
/// <param name="Name">Registry name (lower case, digits and '-'), e.g. <c>ncm-centred</c>.</param>
/// <param name="Description">One line for listings and reports.</param>
/// <param name="Factory">Builds a fresh instance.</param>
/// <param name="Parameters">Method parameter keys it reads (<c>name.key</c>), with a one-line description each.</param>
/// <param name="Adapts">True when <see cref="IStreamLearner.Observe"/> changes state (a test-time adaptation method).</param>
public sealed record LearnerDescriptor(string Name, string Description, LearnerFactory Factory,
    IReadOnlyDictionary<string, string> Parameters, bool Adapts);
