using EdgeCL.Core.Fleet;

namespace EdgeCL.Sync.State;

/// <summary>Where verified entries go: the fleet CRDT (design.md §3).</summary>
/// <remarks>
/// The sync client calls <see cref="Merge"/> under its own lock, one entry at a time, so implementations need no locking
/// of their own for writes; readers elsewhere must coordinate with <see cref="Client.FleetSyncClient.StateChanged"/>.
/// <see cref="FleetStateTarget"/> adapts EdgeCL.Core's <see cref="FleetState"/>.
/// </remarks>
public interface IFleetStateTarget
{
    /// <summary>Offers one verified entry; the state keeps the higher version per (device, class).</summary>
    /// <returns>What happened: <see cref="FleetMergeOutcome.Applied"/> and <see cref="FleetMergeOutcome.Conflict"/> changed the state.</returns>
    FleetMergeOutcome Merge(FleetEntry entry);
}
