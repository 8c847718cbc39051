using EdgeCL.Core.Evaluation;
using EdgeCL.Eval.Shifts;

namespace EdgeCL.Eval.Data;

/// <summary>A stream read from a manifest: its dataset, the shift of each domain, and the stream itself.</summary>
/// <param name="Dataset">The files the manifest names.</param>
/// <param name="Shifts">Per domain (index as in the stream), the synthetic shift (clean when none).</param>
/// <param name="Stream">The steps and held-out sets, in manifest order.</param>
public sealed record ManifestStream(Dataset Dataset, IReadOnlyList<ShiftSpec> Shifts, EvaluationStream Stream);
