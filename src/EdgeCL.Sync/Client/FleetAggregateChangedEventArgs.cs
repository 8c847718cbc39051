using EdgeCL.Core.Fleet.Aggregation;
using EdgeCL.Sync.Payloads;

namespace EdgeCL.Sync.Client;

/// <summary>Raised after an aggregate or a receipt changed a device's aggregate view.</summary>
public sealed class FleetAggregateChangedEventArgs : EventArgs
{
    private readonly ReadOnlyMemory<byte> _payload;
    private byte[]? _array;

    /// <summary>Creates the arguments.</summary>
    /// <param name="aggregate">The aggregate merged, or null for a receipt.</param>
    /// <param name="receipt">The receipt merged, or null for an aggregate.</param>
    /// <param name="payload">The verified signed payload it was decoded from.</param>
    public FleetAggregateChangedEventArgs(FleetAggregate? aggregate, AggregateReceipt? receipt, byte[] payload)
        : this(aggregate, receipt, (ReadOnlyMemory<byte>)payload)
    {
    }

    // A message out of a bundle: a slice of the bundle, copied only if a handler reads Payload.
    internal FleetAggregateChangedEventArgs(FleetAggregate? aggregate, AggregateReceipt? receipt, ReadOnlyMemory<byte> payload)
    {
        Aggregate = aggregate;
        Receipt = receipt;
        _payload = payload;
    }

    /// <summary>The verified signed payload (do not modify it): what a device stores to have the fleet's classes after an offline restart.</summary>
    public byte[] Payload => _array ??= PayloadBytes.ArrayOf(_payload);

    /// <summary>The aggregate merged, or null.</summary>
    public FleetAggregate? Aggregate { get; }

    /// <summary>The receipt merged, or null.</summary>
    public AggregateReceipt? Receipt { get; }
}
