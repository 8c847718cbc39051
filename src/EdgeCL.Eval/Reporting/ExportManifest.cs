namespace EdgeCL.Eval.Reporting;

/// <summary><c>export.json</c>: what a peer export holds, for the fidelity script.</summary>
/// <param name="SpaceId">Embedding space of the vectors.</param>
/// <param name="Dimension">Embedding length.</param>
/// <param name="Support">Labelled rows (support.npy).</param>
/// <param name="Test">Evaluation rows (test.npy).</param>
/// <param name="Methods">Methods whose predictions are in predictions.&lt;name&gt;.txt.</param>
public sealed record ExportManifest(string SpaceId, int Dimension, int Support, int Test, IReadOnlyList<ExportedMethod> Methods);

/// <summary>One exported method.</summary>
/// <param name="Name">Method name (file suffix).</param>
/// <param name="Learner">Learner registry name.</param>
/// <param name="Parameters">Its method parameters.</param>
public sealed record ExportedMethod(string Name, string Learner, IReadOnlyDictionary<string, string> Parameters);
