using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace EdgeCL.Core.Fleet.Aggregation;

/// <summary>Builds, orders and audits <see cref="FleetAggregate"/>s: the arithmetic every aggregator and auditor shares.</summary>
public static class FleetAggregation
{
    /// <summary>Length of <see cref="FleetAggregate.Digest"/>: SHA-256.</summary>
    public const int DigestLength = 32;

    /// <summary>The aggregate of one label of <paramref name="state"/>, or null when the state holds no entry for it.</summary>
    /// <remarks>The mean is <see cref="FleetState.TryGetPrototype"/>'s, bit for bit, so a device answering from the aggregate
    /// and one merging every entry itself hold identical prototypes.</remarks>
    public static FleetAggregate? Build(FleetState state, string label, string aggregatorId)
    {
        ArgumentNullException.ThrowIfNull(state);
        return Build(state, label, aggregatorId, state.Policy);
    }

    // Under a given policy: what an auditor recomputes for an aggregate that records it.
    private static FleetAggregate? Build(FleetState state, string label, string aggregatorId, FleetMergePolicy policy)
    {
        FleetLimits.EnsureValidDeviceId(aggregatorId, nameof(aggregatorId));
        IReadOnlyList<FleetEntry> entries = state.EntriesOf(label);
        if (entries.Count == 0)
            return null;
        float[] mean = new float[state.Space.Dimension];
        bool live = state.TryGetPrototype(label, policy, mean, out long count, out long versionSum);
        return new FleetAggregate
        {
            SpaceId = state.Space.Id,
            AggregatorId = aggregatorId,
            Label = label,
            VersionSum = versionSum,
            Contributors = entries.Count,
            Count = live ? count : 0,
            Digest = Digest(entries),
            Mean = live ? mean : [],
            Policy = policy,
        };
    }

    /// <summary>SHA-256 over the contributions in the order given (callers pass ordinal device order): per entry the
    /// device id (length byte + ASCII), version and count (int64 LE), dimension (int32 LE) and the mean (float32 LE).</summary>
    public static byte[] Digest(IReadOnlyList<FleetEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> header = stackalloc byte[1 + FleetLimits.MaxDeviceIdLength + 8 + 8 + 4];
        foreach (FleetEntry entry in entries)
        {
            int p = FleetWire.WriteId(header, entry.DeviceId);
            BinaryPrimitives.WriteInt64LittleEndian(header[p..], entry.Version);
            BinaryPrimitives.WriteInt64LittleEndian(header[(p + 8)..], entry.Count);
            BinaryPrimitives.WriteInt32LittleEndian(header[(p + 16)..], entry.Mean.Length);
            hash.AppendData(header[..(p + 20)]);
            // Every platform EdgeCL ships for (x64, arm64) is little-endian, so the floats' memory is their LE encoding.
            hash.AppendData(MemoryMarshal.AsBytes(entry.Mean.AsSpan()));
        }
        return hash.GetHashAndReset();
    }

    /// <summary>
    /// The total order devices keep the maximum of, per class: higher version sum, then higher count, more contributors,
    /// then digest, mean bits and policy. Zero means identical content, whoever signed it.
    /// </summary>
    public static int Compare(FleetAggregate a, FleetAggregate b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        int c = a.VersionSum.CompareTo(b.VersionSum);
        if (c == 0)
            c = a.Count.CompareTo(b.Count);
        if (c == 0)
            c = a.Contributors.CompareTo(b.Contributors);
        if (c == 0)
            c = a.Digest.AsSpan().SequenceCompareTo(b.Digest);
        if (c == 0)
            c = a.Mean.Length.CompareTo(b.Mean.Length);
        if (c == 0)
            c = MemoryMarshal.Cast<float, uint>(a.Mean.AsSpan()).SequenceCompareTo(MemoryMarshal.Cast<float, uint>(b.Mean.AsSpan()));
        if (c == 0)
            c = a.Policy.MaxExamplesPerDevice.CompareTo(b.Policy.MaxExamplesPerDevice);
        if (c == 0)
            c = BitConverter.SingleToUInt32Bits(a.Policy.MaxMeanNorm).CompareTo(BitConverter.SingleToUInt32Bits(b.Policy.MaxMeanNorm));
        return c;
    }

    /// <summary>Checks an aggregate against the contributions an auditor holds (e.g. every retained entry of its class).</summary>
    public static AggregateAudit Audit(FleetAggregate aggregate, FleetState contributions)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        ArgumentNullException.ThrowIfNull(contributions);
        if (aggregate.SpaceId != contributions.Space.Id)
            return new AggregateAudit(AggregateAuditVerdict.Mismatch, $"the aggregate is of space {aggregate.SpaceId}, the entries of {contributions.Space.Id}");
        // Recomputed under the policy the aggregate records: what it claims to be; whether a device accepts that policy is the device's check.
        FleetAggregate? held = Build(contributions, aggregate.Label, aggregate.AggregatorId, aggregate.Policy);
        long heldSum = held?.VersionSum ?? 0;
        if (held is null || heldSum < aggregate.VersionSum)
            return new AggregateAudit(AggregateAuditVerdict.Ahead,
                $"the aggregate claims version sum {aggregate.VersionSum} but the entries held add up to {heldSum}: it counts contributions the auditor has not seen");
        if (heldSum > aggregate.VersionSum)
            return new AggregateAudit(AggregateAuditVerdict.Behind,
                $"the entries held add up to version sum {heldSum}, the aggregate to {aggregate.VersionSum}: the aggregator has not merged the newest entries yet");
        // Equal sums: each device's versions only grow, so the held set is exactly the set the aggregate claims.
        if (!held.Digest.AsSpan().SequenceEqual(aggregate.Digest))
            return new AggregateAudit(AggregateAuditVerdict.Mismatch, "its digest does not match the digest of its contributions");
        if (Compare(held, aggregate) != 0)
            return new AggregateAudit(AggregateAuditVerdict.Mismatch, "its digest matches but its count, contributors or mean do not");
        return new AggregateAudit(AggregateAuditVerdict.Match, "identical to the merge of its contributions");
    }
}

/// <summary>The result of <see cref="FleetAggregation.Audit"/>.</summary>
/// <param name="Verdict">What the audit found.</param>
/// <param name="Detail">One line that says why.</param>
public readonly record struct AggregateAudit(AggregateAuditVerdict Verdict, string Detail);

/// <summary>Verdicts of <see cref="FleetAggregation.Audit"/>.</summary>
public enum AggregateAuditVerdict
{
    /// <summary>Bit-identical to the merge of the contributions held.</summary>
    Match,

    /// <summary>The auditor holds newer contributions than the aggregate: it lags; audit again later.</summary>
    Behind,

    /// <summary>The aggregate claims contributions the auditor does not hold (a missed entry, or a forged aggregate).</summary>
    Ahead,

    /// <summary>Same contribution versions, different content: the aggregate is wrong or forged.</summary>
    Mismatch,
}
