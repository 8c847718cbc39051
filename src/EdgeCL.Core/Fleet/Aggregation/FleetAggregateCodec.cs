using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using EdgeCL.Core.Fleet.Signing;

namespace EdgeCL.Core.Fleet.Aggregation;

/// <summary>The signed binary payload of one <see cref="FleetAggregate"/>: the body of <c>…/{space}/agg/{aggregator}/{class}</c>.</summary>
/// <remarks>
/// <para>Layout, format version 1 (field encodings as <see cref="FleetEntryCodec"/>):</para>
/// <code>
///   2  magic "EA"     1  format version (1)     1  vector type (0 none for an all-tombstone class, 1 fp32)
///   space id          aggregator id             label
///   [format 2 only: 1 policy flags (bit 0: a per-device cap follows, bit 1: a mean norm bound follows)
///                   varint cap (bit 0)    4 norm bound, float32 (bit 1)]
///   varint version sum    varint count    varint contributors    32 digest
///   varint dimension D    D×4 mean        64 ECDSA P-256 signature (P1363) by the aggregator, over every byte before it
/// </code>
/// <para>Format 1 is a count-weighted aggregate (<see cref="FleetMergePolicy.CountWeighted"/>), byte for byte what builds
/// before merge policies wrote; format 2 is written only for another policy, so each content has one encoding and a
/// build that knows no policies refuses a capped aggregate as an unsupported format instead of mixing it in.</para>
/// <para>The mean is always fp32: it must be the exact float the merge of the contributions gives, so that devices
/// answering from aggregates and devices merging every entry hold bit-identical prototypes.</para>
/// <para>With bit 7 of the format byte set (0x81, 0x82) the signature is a batch trailer (<see cref="SignedPayload"/>): an
/// aggregator signs a publish cycle's aggregates and receipts once.</para>
/// <para><see cref="TryDecode"/> never throws and checks every length before allocating; it does not check the signature
/// (<see cref="TrustStore.VerifyPayload"/> with the aggregator's key).</para>
/// </remarks>
public static class FleetAggregateCodec
{
    /// <summary>The format version of a count-weighted aggregate.</summary>
    public const byte FormatVersion = 1;

    /// <summary>The format version of an aggregate built under a per-device cap or norm bound.</summary>
    public const byte CappedFormatVersion = 2;

    private const byte CapFlag = 1, NormFlag = 2;

    private static ReadOnlySpan<byte> Magic => "EA"u8;

    /// <summary>Encodes and signs an aggregate with its aggregator's key (alone: the single-signature format).</summary>
    /// <exception cref="ArgumentException">The aggregate is inconsistent or the signer is another aggregator's.</exception>
    public static byte[] Encode(FleetAggregate aggregate, EntrySigner signer) => SignedPayload.Sign(EncodeBody(aggregate, signer), signer);

    /// <summary>The unsigned body of an aggregate, to sign alone or in a batch (<see cref="SignedPayload"/>).</summary>
    /// <exception cref="ArgumentException">The aggregate is inconsistent or the signer is another aggregator's.</exception>
    public static byte[] EncodeBody(FleetAggregate aggregate, EntrySigner signer)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        ArgumentNullException.ThrowIfNull(signer);
        if (Check(aggregate) is { } reason)
            throw new ArgumentException($"Aggregate ({aggregate.AggregatorId}, {aggregate.Label}) cannot be encoded: {reason}.", nameof(aggregate));
        if (aggregate.AggregatorId != signer.DeviceId)
            throw new ArgumentException($"Aggregate of '{aggregate.AggregatorId}' cannot be signed with the key of '{signer.DeviceId}'.", nameof(aggregate));
        byte[] label = Encoding.UTF8.GetBytes(aggregate.Label);
        int dimension = aggregate.Mean.Length;
        FleetMergePolicy policy = aggregate.Policy;
        bool capped = !policy.IsCountWeighted;
        int length = 4 + FleetWire.SpaceIdLength(aggregate.SpaceId) + FleetWire.IdLength(aggregate.AggregatorId) + FleetWire.LabelLength(label.Length)
            + (capped ? 1 : 0) + (policy.IsCapped ? FleetWire.VarintLength((ulong)policy.MaxExamplesPerDevice) : 0) + (policy.IsNormBounded ? 4 : 0)
            + FleetWire.VarintLength((ulong)aggregate.VersionSum) + FleetWire.VarintLength((ulong)aggregate.Count)
            + FleetWire.VarintLength((ulong)aggregate.Contributors) + FleetAggregation.DigestLength
            + FleetWire.VarintLength((ulong)dimension) + (4 * dimension);
        byte[] payload = new byte[length];
        Span<byte> w = payload;
        int p = 0;
        p += FleetWire.WriteHeader(w, Magic, capped ? CappedFormatVersion : FormatVersion, (byte)(aggregate.IsTombstone ? FleetVectorType.None : FleetVectorType.Float32));
        p += FleetWire.WriteSpaceId(w[p..], aggregate.SpaceId);
        p += FleetWire.WriteId(w[p..], aggregate.AggregatorId);
        p += FleetWire.WriteLabel(w[p..], label);
        if (capped)
        {
            w[p++] = (byte)((policy.IsCapped ? CapFlag : 0) | (policy.IsNormBounded ? NormFlag : 0));
            if (policy.IsCapped)
                p += FleetWire.WriteVarint(w[p..], (ulong)policy.MaxExamplesPerDevice);
            if (policy.IsNormBounded)
            {
                BinaryPrimitives.WriteSingleLittleEndian(w[p..], policy.MaxMeanNorm);
                p += 4;
            }
        }
        p += FleetWire.WriteVarint(w[p..], (ulong)aggregate.VersionSum);
        p += FleetWire.WriteVarint(w[p..], (ulong)aggregate.Count);
        p += FleetWire.WriteVarint(w[p..], (ulong)aggregate.Contributors);
        aggregate.Digest.CopyTo(w[p..]);
        p += FleetAggregation.DigestLength;
        p += FleetWire.WriteVarint(w[p..], (ulong)dimension);
        foreach (float x in aggregate.Mean)
        {
            BinaryPrimitives.WriteSingleLittleEndian(w[p..], x);
            p += 4;
        }
        return payload;
    }

    /// <summary>Decodes a payload without checking its signature. Never throws.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> payload, [NotNullWhen(true)] out FleetAggregate? aggregate, out FleetDecodeError error)
    {
        error = Decode(payload, out aggregate);
        return error == FleetDecodeError.None;
    }

    /// <summary>Why an aggregate is inconsistent, or null when it is fine.</summary>
    public static string? Check(FleetAggregate a)
    {
        ArgumentNullException.ThrowIfNull(a);
        if (!FleetLimits.IsValidSpaceId(a.SpaceId))
            return $"space id '{a.SpaceId}' is not 1-{FleetLimits.MaxSpaceIdLength} lower-case hex characters";
        if (!FleetLimits.IsValidDeviceId(a.AggregatorId))
            return $"aggregator id '{a.AggregatorId}' is not a device id";
        if (!FleetLimits.IsValidLabel(a.Label))
            return "the label is empty, untrimmed, has control characters or is too long";
        if (a.Contributors < 1 || a.VersionSum < a.Contributors)
            return $"{a.Contributors} contributors cannot have version sum {a.VersionSum} (every version is >= 1)";
        if (a.Count < 0 || (a.Count == 0) != (a.Mean.Length == 0))
            return $"count {a.Count} does not fit a {a.Mean.Length}-d mean";
        if (a.Policy.Check() is { } policy)
            return policy;
        if (a.Policy.IsCapped && (Int128)a.Contributors * a.Policy.MaxExamplesPerDevice < a.Count)
            return $"count {a.Count} exceeds {a.Contributors} contributors x the cap {a.Policy.MaxExamplesPerDevice}";
        if (a.Mean.Length > FleetLimits.MaxDimension)
            return $"{a.Mean.Length} values exceed the largest dimension {FleetLimits.MaxDimension}";
        if (a.Digest is null || a.Digest.Length != FleetAggregation.DigestLength)
            return $"the digest must have {FleetAggregation.DigestLength} bytes";
        foreach (float x in a.Mean)
            if (!float.IsFinite(x))
                return "the mean holds NaN or infinity";
        return null;
    }

    // Flags with at least one known bit and no other; a cap of 1..2^53 and a finite norm bound > 0, each when flagged.
    private static FleetDecodeError TryReadPolicy(ReadOnlySpan<byte> body, ref int p, out FleetMergePolicy policy)
    {
        policy = default;
        if (!FleetWire.TryByte(body, ref p, out byte flags))
            return FleetDecodeError.Truncated;
        if (flags is 0 || (flags & ~(CapFlag | NormFlag)) != 0)
            return FleetDecodeError.BadPolicy;
        ulong cap = 0;
        float norm = 0;
        if ((flags & CapFlag) != 0)
        {
            FleetDecodeError e = FleetWire.TryVarint(body, ref p, out cap);
            if (e != FleetDecodeError.None)
                return e;
            if (cap is 0 or > FleetLimits.MaxCount)
                return FleetDecodeError.BadPolicy;
        }
        if ((flags & NormFlag) != 0)
        {
            if (body.Length - p < 4)
                return FleetDecodeError.Truncated;
            norm = BinaryPrimitives.ReadSingleLittleEndian(body.Slice(p, 4));
            p += 4;
            if (!float.IsFinite(norm) || norm <= 0)
                return FleetDecodeError.BadPolicy;
        }
        policy = new FleetMergePolicy { MaxExamplesPerDevice = (long)cap, MaxMeanNorm = norm };
        return FleetDecodeError.None;
    }

    private static FleetDecodeError Decode(ReadOnlySpan<byte> payload, out FleetAggregate? aggregate)
    {
        aggregate = null;
        bool capped = SignedPayload.FormatVersion(payload) == CappedFormatVersion;
        FleetDecodeError e = FleetWire.CheckHeader(payload, Magic, capped ? CappedFormatVersion : FormatVersion, FleetLimits.MaxPayloadBytes);
        if (e != FleetDecodeError.None)
            return e;
        var type = (FleetVectorType)payload[3];
        if (type is not (FleetVectorType.None or FleetVectorType.Float32))
            return FleetDecodeError.UnknownVectorType;
        e = SignedPayload.TrySplit(payload, out int bodyLength);
        if (e != FleetDecodeError.None)
            return e;
        ReadOnlySpan<byte> body = payload[..bodyLength];
        int p = 4;
        e = FleetWire.TryReadSlot(body, ref p, out string spaceId, out string aggregatorId, out string label);
        if (e != FleetDecodeError.None)
            return e;
        FleetMergePolicy policy = default;
        if (capped)
        {
            e = TryReadPolicy(body, ref p, out policy);
            if (e != FleetDecodeError.None)
                return e;
        }
        e = FleetWire.TryVarint(body, ref p, out ulong versionSum);
        if (e != FleetDecodeError.None)
            return e;
        e = FleetWire.TryVarint(body, ref p, out ulong count);
        if (e != FleetDecodeError.None)
            return e;
        e = FleetWire.TryVarint(body, ref p, out ulong contributors);
        if (e != FleetDecodeError.None)
            return e;
        if (contributors is 0 or > int.MaxValue || versionSum < contributors)
            return FleetDecodeError.BadVersion;
        if (policy.IsCapped && (UInt128)contributors * (ulong)policy.MaxExamplesPerDevice < count)
            return FleetDecodeError.BadPolicy;
        if (body.Length - p < FleetAggregation.DigestLength)
            return FleetDecodeError.Truncated;
        byte[] digest = body.Slice(p, FleetAggregation.DigestLength).ToArray();
        p += FleetAggregation.DigestLength;
        e = FleetWire.TryVarint(body, ref p, out ulong dimension);
        if (e != FleetDecodeError.None)
            return e;
        if (dimension > FleetLimits.MaxDimension)
            return FleetDecodeError.BadDimension;
        bool tombstone = count == 0;
        if (tombstone != (type == FleetVectorType.None) || tombstone != (dimension == 0))
            return dimension == 0 && !tombstone ? FleetDecodeError.BadDimension : FleetDecodeError.TombstoneMismatch;
        long vectorBytes = 4L * (long)dimension;
        if (body.Length - p < vectorBytes)
            return FleetDecodeError.Truncated;
        if (body.Length - p > vectorBytes)
            return FleetDecodeError.TrailingBytes;
        float[] mean = dimension == 0 ? [] : new float[dimension];
        for (int i = 0; i < mean.Length; i++)
        {
            float x = BinaryPrimitives.ReadSingleLittleEndian(body.Slice(p + (4 * i), 4));
            if (!float.IsFinite(x))
                return FleetDecodeError.NonFiniteValue;
            mean[i] = x;
        }
        aggregate = new FleetAggregate
        {
            SpaceId = spaceId,
            AggregatorId = aggregatorId,
            Label = label,
            VersionSum = (long)versionSum,
            Contributors = (int)contributors,
            Count = (long)count,
            Digest = digest,
            Mean = mean,
            Policy = policy,
        };
        return FleetDecodeError.None;
    }
}
