using EdgeCL.Core.Memory;

namespace EdgeCL.Core.Rollout;

/// <summary>The outcome of <see cref="PrototypeMigration.Migrate"/>: the new-space state and how each class got there.</summary>
/// <param name="Memory">The prototypes in the new space.</param>
/// <param name="Exemplars">The exemplar store in the new space (same inputs, new embeddings).</param>
/// <param name="EvictedOnRebase">Exemplars dropped because the new embeddings are larger and took the store over its budget.</param>
/// <param name="Classes">One record per class, in the memory's order.</param>
/// <param name="Map">The map used, or null.</param>
public sealed record MigrationResult(PrototypeMemory Memory, ExemplarStore Exemplars, IReadOnlyList<long> EvictedOnRebase,
    IReadOnlyList<ClassMigration> Classes, SpaceMap? Map)
{
    /// <summary>How many classes came from each source, e.g. "12 classes: 4 from exemplars, 6 blended, 2 mapped".</summary>
    public string Describe()
    {
        int exemplars = 0, blended = 0, mapped = 0;
        foreach (ClassMigration c in Classes)
        {
            switch (c.Source)
            {
                case ClassMigrationSource.Exemplars: exemplars++; break;
                case ClassMigrationSource.Blend: blended++; break;
                default: mapped++; break;
            }
        }
        return $"{Classes.Count} classes: {exemplars} from exemplars, {blended} blended, {mapped} mapped";
    }
}
