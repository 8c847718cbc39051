namespace EdgeCL.Core.Fleet.Aggregation;

/// <summary>
/// One aggregator's merge of every device's entry for one class in one space: what a device needs to know the fleet's
/// class without receiving each contribution (docs/fleet-aggregation.md).
/// </summary>
/// <remarks>
/// <para>The content is a pure function of the contribution set: <see cref="Mean"/> and <see cref="Count"/> are computed
/// exactly as <see cref="FleetState.TryGetPrototype"/> does, <see cref="VersionSum"/> is the class version
/// <see cref="FleetState.ToPrototypeMemory"/> gives, and <see cref="Digest"/> is SHA-256 over the contributions in
/// ordinal device order (<see cref="FleetAggregation.Digest"/>). Two aggregators that saw the same entries therefore
/// publish identical content (their signatures differ), and anyone holding the entries can audit an aggregate.</para>
/// <para>Because each device's versions only grow, the complete contribution set has the strictly largest version sum
/// of any set an aggregator can have seen: keeping the maximum under <see cref="FleetAggregation.Compare"/> converges to
/// it whatever the order of arrival.</para>
/// </remarks>
public sealed record FleetAggregate
{
    /// <summary>Embedding-space id of the contributions.</summary>
    public required string SpaceId { get; init; }

    /// <summary>The aggregator that computed and signed it.</summary>
    public required string AggregatorId { get; init; }

    /// <summary>The class label.</summary>
    public required string Label { get; init; }

    /// <summary>Σ of the contributing entries' versions, live and tombstone (the fleet version of the class).</summary>
    public required long VersionSum { get; init; }

    /// <summary>How many (device) entries contributed, live and tombstone.</summary>
    public required int Contributors { get; init; }

    /// <summary>Σ of the live entries' weights (their counts, each capped under a capped <see cref="Policy"/>); 0 when every contribution is a tombstone.</summary>
    public required long Count { get; init; }

    /// <summary>The merge policy it was built with: a device holding another policy refuses it (docs/fleet-aggregation.md).</summary>
    public FleetMergePolicy Policy { get; init; }

    /// <summary>SHA-256 of the contribution set (<see cref="FleetAggregation.DigestLength"/> bytes).</summary>
    public required byte[] Digest { get; init; }

    /// <summary>The fleet mean of the class (float32); empty when <see cref="Count"/> is 0.</summary>
    public required float[] Mean { get; init; }

    /// <summary>True when no device holds a live entry for the class.</summary>
    public bool IsTombstone => Count == 0;

    /// <summary>The first 8 bytes of <see cref="Digest"/> as a number: what a receipt quotes to name this aggregate.</summary>
    public ulong DigestPrefix => System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(Digest);
}
