using EdgeCL.Core.Fleet;
using EdgeCL.Core.Fleet.Aggregation;

namespace EdgeCL.Sync.State;

/// <summary>Feeds an <see cref="AggregateView"/> from a sync client in aggregate mode, with a lock readers share.</summary>
/// <remarks>Own entries (published by this device) go to the view's own history; other devices' entries are not
/// expected in this mode and are refused as <see cref="FleetMergeOutcome.Invalid"/>. Take <see cref="SyncRoot"/> around
/// every read of <see cref="View"/>.</remarks>
/// <param name="view">The view to merge into.</param>
public sealed class AggregateStateTarget(AggregateView view) : IFleetAggregateTarget
{
    /// <summary>The wrapped view; read it only while holding <see cref="SyncRoot"/>.</summary>
    public AggregateView View { get; } = view ?? throw new ArgumentNullException(nameof(view));

    /// <summary>The lock that serialises merges and reads.</summary>
    public Lock SyncRoot { get; } = new();

    /// <inheritdoc/>
    public FleetMergeOutcome Merge(FleetEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (SyncRoot)
            return entry.DeviceId == View.DeviceId ? View.MergeOwn(entry) : FleetMergeOutcome.Invalid;
    }

    /// <inheritdoc/>
    public FleetMergeOutcome MergeAggregate(FleetAggregate aggregate)
    {
        lock (SyncRoot)
            return View.Merge(aggregate);
    }

    /// <inheritdoc/>
    public FleetMergeOutcome MergeReceipt(AggregateReceipt receipt)
    {
        lock (SyncRoot)
            return View.MergeReceipt(receipt);
    }
}
