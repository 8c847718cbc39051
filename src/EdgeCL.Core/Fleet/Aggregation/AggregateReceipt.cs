namespace EdgeCL.Core.Fleet.Aggregation;

/// <summary>
/// What one aggregator tells one device: for each class the device contributed to, which of its versions went into the
/// aggregator's latest aggregate of that class.
/// </summary>
/// <remarks>
/// A device needs this to combine an aggregate with a change of its own that the aggregate may not include yet: it adds
/// its newer entry and takes out the included one. Only the aggregator's own receipts for this device are delivered, so a
/// device receives O(its classes) bytes of receipts, however many devices the fleet has.
/// </remarks>
public sealed record AggregateReceipt
{
    /// <summary>Embedding-space id.</summary>
    public required string SpaceId { get; init; }

    /// <summary>The aggregator that signed it.</summary>
    public required string AggregatorId { get; init; }

    /// <summary>The device it is for.</summary>
    public required string DeviceId { get; init; }

    /// <summary>One line per class, ordinal by label, labels unique.</summary>
    public required IReadOnlyList<AggregateReceiptLine> Lines { get; init; }
}

/// <summary>One class of an <see cref="AggregateReceipt"/>.</summary>
/// <param name="Label">The class.</param>
/// <param name="VersionSum">The <see cref="FleetAggregate.VersionSum"/> of the aggregate meant.</param>
/// <param name="DigestPrefix">Its <see cref="FleetAggregate.DigestPrefix"/>.</param>
/// <param name="IncludedVersion">The version of the device's entry that aggregate includes.</param>
public readonly record struct AggregateReceiptLine(string Label, long VersionSum, ulong DigestPrefix, long IncludedVersion)
{
    /// <summary>Whether this line names <paramref name="aggregate"/>.</summary>
    public bool Names(FleetAggregate aggregate) => aggregate.VersionSum == VersionSum && aggregate.DigestPrefix == DigestPrefix;
}
