using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using EdgeCL.Core.Fleet.Signing;

namespace EdgeCL.Core.Fleet.Aggregation;

/// <summary>The signed binary payload of one <see cref="AggregateReceipt"/>: the body of <c>…/{space}/rcpt/{aggregator}/{device}</c>.</summary>
/// <remarks>
/// <code>
///   2  magic "ER"     1  format version (1)     1  reserved (0)
///   space id          aggregator id             device id          varint lines N
///   N × ( label   varint version sum   8 digest prefix (LE)   varint included version )
///   64 ECDSA P-256 signature (P1363) by the aggregator, over every byte before it
/// </code>
/// Lines are in strictly increasing ordinal label order, so each receipt has one encoding. Never throws on decode. With
/// bit 7 of the format byte set (0x81) the signature is a batch trailer (<see cref="SignedPayload"/>).
/// </remarks>
public static class AggregateReceiptCodec
{
    /// <summary>The format version this build writes and reads.</summary>
    public const byte FormatVersion = 1;

    /// <summary>Most lines one receipt may carry (classes one device contributes to).</summary>
    public const int MaxLines = 65_536;

    /// <summary>Largest receipt payload accepted.</summary>
    public const int MaxPayloadBytes = 4 * 1024 * 1024;

    private static ReadOnlySpan<byte> Magic => "ER"u8;

    /// <summary>Encodes and signs a receipt with its aggregator's key (alone: the single-signature format).</summary>
    /// <exception cref="ArgumentException">The receipt is inconsistent or the signer is another aggregator's.</exception>
    public static byte[] Encode(AggregateReceipt receipt, EntrySigner signer) => SignedPayload.Sign(EncodeBody(receipt, signer), signer);

    /// <summary>The unsigned body of a receipt, to sign alone or in a batch (<see cref="SignedPayload"/>).</summary>
    /// <exception cref="ArgumentException">The receipt is inconsistent or the signer is another aggregator's.</exception>
    public static byte[] EncodeBody(AggregateReceipt receipt, EntrySigner signer)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        ArgumentNullException.ThrowIfNull(signer);
        if (receipt.AggregatorId != signer.DeviceId)
            throw new ArgumentException($"Receipt of '{receipt.AggregatorId}' cannot be signed with the key of '{signer.DeviceId}'.", nameof(receipt));
        if (!FleetLimits.IsValidSpaceId(receipt.SpaceId) || !FleetLimits.IsValidDeviceId(receipt.DeviceId) || receipt.Lines.Count > MaxLines)
            throw new ArgumentException($"Receipt for '{receipt.DeviceId}' has an invalid space or device id, or more than {MaxLines} lines.", nameof(receipt));
        var labels = new byte[receipt.Lines.Count][];
        int length = 4 + FleetWire.SpaceIdLength(receipt.SpaceId) + FleetWire.IdLength(receipt.AggregatorId) + FleetWire.IdLength(receipt.DeviceId)
            + FleetWire.VarintLength((ulong)receipt.Lines.Count);
        for (int i = 0; i < labels.Length; i++)
        {
            AggregateReceiptLine line = receipt.Lines[i];
            if (!FleetLimits.IsValidLabel(line.Label) || line.VersionSum < 1 || line.IncludedVersion < 1
                || (i > 0 && string.CompareOrdinal(receipt.Lines[i - 1].Label, line.Label) >= 0))
                throw new ArgumentException($"Receipt line {i} ('{line.Label}') is invalid or out of ordinal order.", nameof(receipt));
            labels[i] = Encoding.UTF8.GetBytes(line.Label);
            length += FleetWire.LabelLength(labels[i].Length) + FleetWire.VarintLength((ulong)line.VersionSum) + 8 + FleetWire.VarintLength((ulong)line.IncludedVersion);
        }
        byte[] payload = new byte[length];
        Span<byte> w = payload;
        int p = 0;
        p += FleetWire.WriteHeader(w, Magic, FormatVersion, 0);
        p += FleetWire.WriteSpaceId(w[p..], receipt.SpaceId);
        p += FleetWire.WriteId(w[p..], receipt.AggregatorId);
        p += FleetWire.WriteId(w[p..], receipt.DeviceId);
        p += FleetWire.WriteVarint(w[p..], (ulong)labels.Length);
        for (int i = 0; i < labels.Length; i++)
        {
            AggregateReceiptLine line = receipt.Lines[i];
            p += FleetWire.WriteLabel(w[p..], labels[i]);
            p += FleetWire.WriteVarint(w[p..], (ulong)line.VersionSum);
            BinaryPrimitives.WriteUInt64LittleEndian(w[p..], line.DigestPrefix);
            p += 8;
            p += FleetWire.WriteVarint(w[p..], (ulong)line.IncludedVersion);
        }
        return payload;
    }

    /// <summary>Decodes a payload without checking its signature. Never throws.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> payload, [NotNullWhen(true)] out AggregateReceipt? receipt, out FleetDecodeError error)
    {
        error = Decode(payload, out receipt);
        return error == FleetDecodeError.None;
    }

    private static FleetDecodeError Decode(ReadOnlySpan<byte> payload, out AggregateReceipt? receipt)
    {
        receipt = null;
        FleetDecodeError e = FleetWire.CheckHeader(payload, Magic, FormatVersion, MaxPayloadBytes);
        if (e != FleetDecodeError.None)
            return e;
        if (payload[3] != 0)
            return FleetDecodeError.UnknownVectorType;
        e = SignedPayload.TrySplit(payload, out int bodyLength);
        if (e != FleetDecodeError.None)
            return e;
        ReadOnlySpan<byte> body = payload[..bodyLength];
        int p = 4;
        e = FleetWire.TryReadSpaceId(body, ref p, out string spaceId);
        if (e != FleetDecodeError.None)
            return e;
        e = FleetWire.TryReadId(body, ref p, out string aggregatorId);
        if (e != FleetDecodeError.None)
            return e;
        e = FleetWire.TryReadId(body, ref p, out string deviceId);
        if (e != FleetDecodeError.None)
            return e;
        e = FleetWire.TryVarint(body, ref p, out ulong count);
        if (e != FleetDecodeError.None)
            return e;
        // Each line takes at least 1 + 1 + 1 + 8 + 1 bytes, so the count is bounded by what is left before allocating.
        if (count > MaxLines || count > (ulong)((body.Length - p) / 12))
            return count > MaxLines ? FleetDecodeError.TooLarge : FleetDecodeError.Truncated;
        var lines = new AggregateReceiptLine[count];
        for (int i = 0; i < lines.Length; i++)
        {
            e = FleetWire.TryReadLabel(body, ref p, out string label);
            if (e != FleetDecodeError.None)
                return e;
            if (i > 0 && string.CompareOrdinal(lines[i - 1].Label, label) >= 0)
                return FleetDecodeError.BadLabel;
            e = FleetWire.TryVarint(body, ref p, out ulong versionSum);
            if (e != FleetDecodeError.None)
                return e;
            if (body.Length - p < 8)
                return FleetDecodeError.Truncated;
            ulong prefix = BinaryPrimitives.ReadUInt64LittleEndian(body.Slice(p, 8));
            p += 8;
            e = FleetWire.TryVarint(body, ref p, out ulong included);
            if (e != FleetDecodeError.None)
                return e;
            if (versionSum < 1 || included < 1 || included > versionSum)
                return FleetDecodeError.BadVersion;
            lines[i] = new AggregateReceiptLine(label, (long)versionSum, prefix, (long)included);
        }
        if (p != body.Length)
            return FleetDecodeError.TrailingBytes;
        receipt = new AggregateReceipt { SpaceId = spaceId, AggregatorId = aggregatorId, DeviceId = deviceId, Lines = lines };
        return FleetDecodeError.None;
    }
}
