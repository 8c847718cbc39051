using EdgeCL.Core.Fleet;

namespace EdgeCL.Sync.Outbox;

/// <summary>This device's own entries waiting to be published, and the latest of each for a rebirth.</summary>
/// <remarks>
/// The sync client never relies on broker sessions (MQTTnet.Server drops them by default, Sparkplug B forbids them), so
/// the outbox is what carries offline learning to the fleet: entries added while disconnected are published after the
/// next connect, and every connect republishes <see cref="LatestAsync"/> in full. Only the newest version per class matters
/// (the merge keeps the highest), so an implementation may coalesce older pending versions of the same class.
/// A durable implementation (EdgeCL.Storage) writes the pending row in the same transaction as the learned label.
/// </remarks>
public interface IFleetOutbox
{
    /// <summary>Records a new own entry (live or tombstone) as pending.</summary>
    ValueTask AddAsync(FleetEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="max"/> pending entries, oldest first.</summary>
    ValueTask<IReadOnlyList<FleetEntry>> PendingAsync(int max, CancellationToken cancellationToken = default);

    /// <summary>Marks an entry as acknowledged by the broker (QoS 1 PUBACK); a newer pending version of the class stays pending.</summary>
    ValueTask MarkPublishedAsync(FleetEntry entry, CancellationToken cancellationToken = default);

    /// <summary>The newest entry of every class this device ever wrote, tombstones included (the rebirth set).</summary>
    ValueTask<IReadOnlyList<FleetEntry>> LatestAsync(CancellationToken cancellationToken = default);
}
