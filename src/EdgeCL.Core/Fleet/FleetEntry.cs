namespace EdgeCL.Core.Fleet;

/// <summary>
/// One device's contribution for one class in one embedding space: the unit of fleet sync (design.md §3).
/// </summary>
/// <remarks>
/// Only the owning device writes its entries, and each write carries a higher <see cref="Version"/>. A tombstone
/// (<see cref="Count"/> = 0, empty <see cref="Mean"/>) records that the device forgot the class at that version.
/// </remarks>
public sealed record FleetEntry
{
    /// <summary>Embedding-space id the mean belongs to.</summary>
    public required string SpaceId { get; init; }

    /// <summary>The owning device.</summary>
    public required string DeviceId { get; init; }

    /// <summary>The class label.</summary>
    public required string Label { get; init; }

    /// <summary>Monotonic per (device, label); the merge keeps the higher one.</summary>
    public required long Version { get; init; }

    /// <summary>Labelled examples behind <see cref="Mean"/>; 0 for a tombstone.</summary>
    public required long Count { get; init; }

    /// <summary>The device's class mean (float32); empty for a tombstone.</summary>
    public required float[] Mean { get; init; }

    /// <summary>True when this entry records a forget.</summary>
    public bool IsTombstone => Count == 0;
}
