using EdgeCL.Sync.Client;

namespace EdgeCL.Sync.Device;

/// <summary>A snapshot of one <see cref="FleetDevice"/>'s counters.</summary>
/// <param name="Learned">Examples learned and committed.</param>
/// <param name="Forgotten">Classes forgotten and committed (commands included).</param>
/// <param name="CommitFailures">Local changes refused because the store could not write them (disk full, I/O error); the stored state is unchanged.</param>
/// <param name="SavedFleetEntries">Received entries written to the store.</param>
/// <param name="SaveFailures">Batches of received entries the store could not write (they stay merged in memory).</param>
/// <param name="Adopted">Own entries found in the fleet for classes the local store did not know (a reinstalled device), taken over.</param>
/// <param name="VersionsContinued">Own classes re-announced above a higher version the fleet already held.</param>
/// <param name="PendingOutboxRows">Outbox rows not yet acknowledged by the broker.</param>
/// <param name="Sync">The sync client's counters (connects, publishes, drops per reason).</param>
public sealed record FleetDeviceStatistics(long Learned, long Forgotten, long CommitFailures, long SavedFleetEntries, long SaveFailures, long Adopted,
    long VersionsContinued, long PendingOutboxRows, SyncStatistics Sync);
