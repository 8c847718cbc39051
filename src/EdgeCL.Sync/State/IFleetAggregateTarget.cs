using EdgeCL.Core.Fleet;
using EdgeCL.Core.Fleet.Aggregation;

namespace EdgeCL.Sync.State;

/// <summary>A state target that also takes aggregates and receipts: what a device in <see cref="Client.FleetReceiveMode.Aggregates"/> mode merges into.</summary>
/// <remarks>Called under the sync client's lock, one message at a time, like <see cref="IFleetStateTarget.Merge"/>.</remarks>
public interface IFleetAggregateTarget : IFleetStateTarget
{
    /// <summary>Offers one verified aggregate.</summary>
    FleetMergeOutcome MergeAggregate(FleetAggregate aggregate);

    /// <summary>Offers one verified receipt for this device.</summary>
    FleetMergeOutcome MergeReceipt(AggregateReceipt receipt);
}
