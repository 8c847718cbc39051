using EdgeCL.Core.Fleet.Aggregation;

namespace EdgeCL.Sync.Client;

/// <summary>Raised after an aggregate or a receipt changed a device's aggregate view.</summary>
/// <param name="aggregate">The aggregate merged, or null for a receipt.</param>
/// <param name="receipt">The receipt merged, or null for an aggregate.</param>
/// <param name="payload">The verified signed payload it was decoded from.</param>
public sealed class FleetAggregateChangedEventArgs(FleetAggregate? aggregate, AggregateReceipt? receipt, byte[] payload) : EventArgs
{
    /// <summary>The verified signed payload (do not modify it): what a device stores to have the fleet's classes after an offline restart.</summary>
    public byte[] Payload { get; } = payload;

    /// <summary>The aggregate merged, or null.</summary>
    public FleetAggregate? Aggregate { get; } = aggregate;

    /// <summary>The receipt merged, or null.</summary>
    public AggregateReceipt? Receipt { get; } = receipt;
}
