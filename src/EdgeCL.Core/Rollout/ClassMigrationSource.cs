namespace EdgeCL.Core.Rollout;

/// <summary>Where a migrated class's new-space prototype came from.</summary>
public enum ClassMigrationSource
{
    /// <summary>Every example it counts was re-embedded (all of them were kept, or <see cref="MigrationMode.ExemplarsOnly"/>).</summary>
    Exemplars,

    /// <summary>Re-embedded exemplars plus the mapped mean of the examples that were not kept.</summary>
    Blend,

    /// <summary>No exemplars: the mapped old prototype.</summary>
    Mapped,
}
