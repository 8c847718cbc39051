using EdgeCL.Core.Fleet;

namespace EdgeCL.Sync.State;

/// <summary>Feeds a <see cref="FleetState"/> from a sync client, with a lock readers can share.</summary>
/// <remarks>
/// <see cref="FleetState"/> is not thread-safe; the sync client merges on its consumer task while the application reads
/// prototypes elsewhere. Take <see cref="SyncRoot"/> around every read of <see cref="State"/> (merges take it too).
/// </remarks>
/// <param name="state">The state to merge into.</param>
public sealed class FleetStateTarget(FleetState state) : IFleetStateTarget
{
    /// <summary>The wrapped state; read it only while holding <see cref="SyncRoot"/>.</summary>
    public FleetState State { get; } = state ?? throw new ArgumentNullException(nameof(state));

    /// <summary>The lock that serialises merges and reads.</summary>
    public Lock SyncRoot { get; } = new();

    /// <inheritdoc/>
    public FleetMergeOutcome Merge(FleetEntry entry)
    {
        lock (SyncRoot)
            return State.Merge(entry);
    }
}
