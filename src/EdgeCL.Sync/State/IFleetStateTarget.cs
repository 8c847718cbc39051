using EdgeCL.Core.Fleet;

namespace EdgeCL.Sync.State;

/// <summary>Where verified entries go: the fleet CRDT (design.md §3).</summary>
/// <remarks>
/// The sync client calls <see cref="Merge"/> under its own lock, one entry at a time, so implementations need no locking
/// of their own for writes; readers elsewhere must coordinate with <see cref="Client.FleetSyncClient.StateChanged"/>.
/// </remarks>
public interface IFleetStateTarget
{
    /// <summary>Keeps the entry if its version is higher than the one held for (device, class).</summary>
    /// <returns>True when the state changed; false for a duplicate, replay or older version.</returns>
    bool Merge(FleetEntry entry);
}
