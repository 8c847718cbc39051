using EdgeCL.Core.Fleet.Aggregation;

namespace EdgeCL.Sync.Client;

/// <summary>Raised after an aggregate or a receipt changed a device's aggregate view.</summary>
/// <param name="aggregate">The aggregate merged, or null for a receipt.</param>
/// <param name="receipt">The receipt merged, or null for an aggregate.</param>
public sealed class FleetAggregateChangedEventArgs(FleetAggregate? aggregate, AggregateReceipt? receipt) : EventArgs
{
    /// <summary>The aggregate merged, or null.</summary>
    public FleetAggregate? Aggregate { get; } = aggregate;

    /// <summary>The receipt merged, or null.</summary>
    public AggregateReceipt? Receipt { get; } = receipt;
}
