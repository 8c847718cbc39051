namespace EdgeCL.Core.Rollout;

/// <summary>How one class moved to the new space.</summary>
/// <param name="Label">The class.</param>
/// <param name="OldCount">Examples in its old prototype.</param>
/// <param name="Count">Examples its new prototype claims (equal to <paramref name="OldCount"/> unless only exemplars were kept).</param>
/// <param name="Exemplars">Exemplars re-embedded for it.</param>
/// <param name="Source">Where the new prototype came from.</param>
public sealed record ClassMigration(string Label, long OldCount, long Count, int Exemplars, ClassMigrationSource Source);
