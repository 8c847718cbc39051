using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using EdgeCL.Core.Fleet.Signing;

namespace EdgeCL.Core.Fleet;

/// <summary>
/// The versioned, signed binary payload of one <see cref="FleetEntry"/> (design.md §3): the body of an MQTT message
/// on <c>…/proto/{device}/{class}</c>.
/// </summary>
/// <remarks>
/// <para>Layout, format version 1 (integers little-endian; "varint" is unsigned LEB128, minimal length); with bit 7 of the
/// format byte set (0x81) the 64-byte signature is replaced by a batch trailer (<see cref="SignedPayload"/>):</para>
/// <code>
///   2  magic "EF"                 1  format version (1)          1  vector type (0 none, 1 fp32, 2 fp16)
///   1  space id hex digits S      ⌈S/2⌉ space id packed as nibbles (odd S: last low nibble 0)
///   1  device id length E         E  device id (ASCII A-Z a-z 0-9 . _ -)
///   varint label bytes L          L  label (UTF-8)
///   varint version (≥ 1)          varint count (≤ 2^53)          varint dimension D (0 for a tombstone)
///   D×4 or D×2 vector             64 ECDSA P-256 signature, IEEE P1363 (r ‖ s), over every byte before it
/// </code>
/// <para>Overhead is ~20 bytes plus the ids and the 64-byte signature: a 512-d fp16 entry with a 16-digit space id,
/// an 8-character device id and a short label is ~1.09 × D×2 bytes.</para>
/// <para>fp16 transport rounds each element to nearest-even binary16: relative error ≤ 2^-11 for normal values
/// (|x| ≥ 2^-14) and absolute error ≤ 2^-25 for subnormals. The fleet prototype is a convex combination of the device
/// means, so its error per element is ≤ 2^-11·Σ_d w_d|μ_d| + 2^-25 (w_d = n_d / Σ n) before the final float rounding.</para>
/// <para><see cref="TryDecode"/> never throws: every length is checked against the remaining bytes and the limits
/// of <see cref="FleetLimits"/> before anything is allocated. Decoding does not check the signature; use
/// <see cref="TrustStore.VerifyPayload"/> or <see cref="FleetState.Receive"/>.</para>
/// </remarks>
public static class FleetEntryCodec
{
    /// <summary>The format version this build writes and reads.</summary>
    public const byte FormatVersion = 1;

    /// <summary>Length of the signature section at the end of every payload.</summary>
    public const int SignatureLength = 64;

    /// <summary>Smallest possible payload: header, one-digit space id, one-character device id and label, three one-byte varints, signature.</summary>
    public const int MinPayloadBytes = 4 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + SignatureLength;

    private static ReadOnlySpan<byte> Magic => "EF"u8;

    /// <summary>Encodes and signs an entry (alone: the single-signature format).</summary>
    /// <param name="entry">A valid entry of <paramref name="signer"/>'s device.</param>
    /// <param name="vectorType"><see cref="FleetVectorType.Float32"/> or <see cref="FleetVectorType.Float16"/>; ignored for a tombstone.</param>
    /// <param name="signer">The device's signing key.</param>
    /// <exception cref="ArgumentException">The entry is invalid, belongs to another device, or has a value beyond the fp16 range (±65504) with fp16.</exception>
    public static byte[] Encode(FleetEntry entry, FleetVectorType vectorType, EntrySigner signer) =>
        SignedPayload.Sign(EncodeBody(entry, vectorType, signer), signer);

    /// <summary>Encodes and signs several entries of one device with one signature (<see cref="SignedPayload.SignBatch"/>); each payload stays verifiable on its own.</summary>
    /// <exception cref="ArgumentException">An entry is invalid or belongs to another device (see <see cref="Encode"/>).</exception>
    public static byte[][] EncodeBatch(IReadOnlyList<FleetEntry> entries, FleetVectorType vectorType, EntrySigner signer)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var bodies = new byte[entries.Count][];
        for (int i = 0; i < bodies.Length; i++)
            bodies[i] = EncodeBody(entries[i], vectorType, signer);
        return SignedPayload.SignBatch(bodies, signer);
    }

    // The body: every field before the signature trailer, format byte without the batch flag.
    private static byte[] EncodeBody(FleetEntry entry, FleetVectorType vectorType, EntrySigner signer)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(signer);
        if (FleetEntryRules.Check(entry, expectedDimension: 0) is { } reason)
            throw new ArgumentException($"Fleet entry ({entry.DeviceId}, {entry.Label}) cannot be encoded: {reason}.", nameof(entry));
        if (!FleetLimits.IsValidSpaceId(entry.SpaceId))
            throw new ArgumentException($"Fleet entry space id '{entry.SpaceId}' must be 1-{FleetLimits.MaxSpaceIdLength} lower-case hex characters.", nameof(entry));
        if (entry.DeviceId != signer.DeviceId)
            throw new ArgumentException(
                $"Fleet entry of device '{entry.DeviceId}' cannot be signed with the key of '{signer.DeviceId}'; a device signs only its own entries.", nameof(entry));
        if (entry.IsTombstone)
            vectorType = FleetVectorType.None;
        else if (vectorType is not (FleetVectorType.Float32 or FleetVectorType.Float16))
            throw new ArgumentException($"Vector type {vectorType} cannot carry a mean; use Float32 or Float16.", nameof(vectorType));

        byte[] label = Encoding.UTF8.GetBytes(entry.Label);
        int dimension = entry.Mean.Length;
        int elementSize = vectorType switch { FleetVectorType.Float32 => 4, FleetVectorType.Float16 => 2, _ => 0 };
        int length = 2 + 1 + 1 + FleetWire.SpaceIdLength(entry.SpaceId) + FleetWire.IdLength(entry.DeviceId)
            + FleetWire.LabelLength(label.Length)
            + FleetWire.VarintLength((ulong)entry.Version) + FleetWire.VarintLength((ulong)entry.Count) + FleetWire.VarintLength((ulong)dimension)
            + (dimension * elementSize);

        byte[] payload = new byte[length];
        Span<byte> w = payload;
        int p = 0;
        p += FleetWire.WriteHeader(w, Magic, FormatVersion, (byte)vectorType);
        p += FleetWire.WriteSpaceId(w[p..], entry.SpaceId);
        p += FleetWire.WriteId(w[p..], entry.DeviceId);
        p += FleetWire.WriteLabel(w[p..], label);
        p += FleetWire.WriteVarint(w[p..], (ulong)entry.Version);
        p += FleetWire.WriteVarint(w[p..], (ulong)entry.Count);
        p += FleetWire.WriteVarint(w[p..], (ulong)dimension);
        if (vectorType == FleetVectorType.Float32)
        {
            foreach (float x in entry.Mean)
            {
                BinaryPrimitives.WriteSingleLittleEndian(w[p..], x);
                p += 4;
            }
        }
        else if (vectorType == FleetVectorType.Float16)
        {
            for (int i = 0; i < dimension; i++)
            {
                // Round-to-nearest-even; values beyond ±65504 (plus half an ulp) become infinity and are refused.
                Half h = (Half)entry.Mean[i];
                if (!Half.IsFinite(h))
                    throw new ArgumentException(
                        $"Mean value {entry.Mean[i]} at index {i} of ({entry.DeviceId}, {entry.Label}) is beyond the fp16 range ±65504; send it as Float32.", nameof(entry));
                BinaryPrimitives.WriteHalfLittleEndian(w[p..], h);
                p += 2;
            }
        }
        return payload;
    }

    /// <summary>Decodes a payload (either signature envelope) without checking its signature.</summary>
    /// <param name="payload">The received bytes.</param>
    /// <param name="entry">The decoded entry (a fresh instance) when the method returns true.</param>
    /// <param name="error">Why decoding failed, or <see cref="FleetDecodeError.None"/>.</param>
    /// <returns>Whether the payload is well formed. Never throws.</returns>
    public static bool TryDecode(ReadOnlySpan<byte> payload, [NotNullWhen(true)] out FleetEntry? entry, out FleetDecodeError error)
    {
        entry = null;
        error = Decode(payload, out entry);
        return error == FleetDecodeError.None;
    }

    /// <summary>The signature section: the last <see cref="SignatureLength"/> bytes (empty when the payload is shorter); the root signature of a batch-signed payload.</summary>
    public static ReadOnlySpan<byte> Signature(ReadOnlySpan<byte> payload) =>
        payload.Length < SignatureLength ? [] : payload[^SignatureLength..];

    /// <summary>The exact payload length <see cref="Encode"/> (single signature) produces for <paramref name="entry"/>; a batch adds <see cref="SignedPayload.BatchTrailerBytes"/> - 64 plus 32 per path hash.</summary>
    /// <exception cref="ArgumentException">The entry is invalid.</exception>
    public static int GetEncodedLength(FleetEntry entry, FleetVectorType vectorType)
    {
        ArgumentNullException.ThrowIfNull(entry);
        string? reason = FleetEntryRules.Check(entry, expectedDimension: 0)
            ?? (FleetLimits.IsValidSpaceId(entry.SpaceId) ? null : $"space id '{entry.SpaceId}' is not 1-{FleetLimits.MaxSpaceIdLength} lower-case hex characters");
        if (reason is not null)
            throw new ArgumentException($"Fleet entry ({entry.DeviceId}, {entry.Label}) is invalid: {reason}.", nameof(entry));
        int labelBytes = Encoding.UTF8.GetByteCount(entry.Label);
        int elementSize = entry.IsTombstone ? 0 : vectorType == FleetVectorType.Float16 ? 2 : 4;
        return 5 + ((entry.SpaceId.Length + 1) / 2) + 1 + entry.DeviceId.Length + FleetWire.VarintLength((ulong)labelBytes) + labelBytes
            + FleetWire.VarintLength((ulong)entry.Version) + FleetWire.VarintLength((ulong)entry.Count) + FleetWire.VarintLength((ulong)entry.Mean.Length)
            + (entry.Mean.Length * elementSize) + SignatureLength;
    }

    private static FleetDecodeError Decode(ReadOnlySpan<byte> payload, out FleetEntry? entry)
    {
        entry = null;
        FleetDecodeError e = FleetWire.CheckHeader(payload, Magic, FormatVersion, FleetLimits.MaxPayloadBytes);
        if (e != FleetDecodeError.None)
            return e;
        var type = (FleetVectorType)payload[3];
        if (type is not (FleetVectorType.None or FleetVectorType.Float32 or FleetVectorType.Float16))
            return FleetDecodeError.UnknownVectorType;
        if (payload.Length < MinPayloadBytes)
            return FleetDecodeError.Truncated;
        e = SignedPayload.TrySplit(payload, out int bodyLength);
        if (e != FleetDecodeError.None)
            return e;
        // Everything after here reads from the body only, so the signature trailer can never be mistaken for a field.
        ReadOnlySpan<byte> body = payload[..bodyLength];
        int p = 4;

        e = FleetWire.TryReadSlot(body, ref p, out string spaceId, out string deviceId, out string label);
        if (e != FleetDecodeError.None)
            return e;

        // Version, count, dimension.
        e = FleetWire.TryVarint(body, ref p, out ulong version);
        if (e != FleetDecodeError.None)
            return e;
        if (version < 1)
            return FleetDecodeError.BadVersion;
        e = FleetWire.TryVarint(body, ref p, out ulong count);
        if (e != FleetDecodeError.None)
            return e;
        if (count > FleetLimits.MaxCount)
            return FleetDecodeError.BadCount;
        e = FleetWire.TryVarint(body, ref p, out ulong dimension);
        if (e != FleetDecodeError.None)
            return e;
        if (dimension > FleetLimits.MaxDimension)
            return FleetDecodeError.BadDimension;
        bool tombstone = count == 0;
        if (tombstone != (type == FleetVectorType.None) || tombstone != (dimension == 0))
            return dimension == 0 && !tombstone ? FleetDecodeError.BadDimension : FleetDecodeError.TombstoneMismatch;

        // Vector: its exact size is known now, so anything else is truncation or trailing bytes.
        int elementSize = type switch { FleetVectorType.Float32 => 4, FleetVectorType.Float16 => 2, _ => 0 };
        long vectorBytes = (long)dimension * elementSize;
        if (body.Length - p < vectorBytes)
            return FleetDecodeError.Truncated;
        if (body.Length - p > vectorBytes)
            return FleetDecodeError.TrailingBytes;
        float[] mean = dimension == 0 ? [] : new float[dimension];
        ReadOnlySpan<byte> vector = body[p..];
        if (type == FleetVectorType.Float32)
        {
            for (int i = 0; i < mean.Length; i++)
            {
                float x = BinaryPrimitives.ReadSingleLittleEndian(vector.Slice(4 * i, 4));
                if (!float.IsFinite(x))
                    return FleetDecodeError.NonFiniteValue;
                mean[i] = x;
            }
        }
        else if (type == FleetVectorType.Float16)
        {
            for (int i = 0; i < mean.Length; i++)
            {
                Half h = BinaryPrimitives.ReadHalfLittleEndian(vector.Slice(2 * i, 2));
                if (!Half.IsFinite(h))
                    return FleetDecodeError.NonFiniteValue;
                mean[i] = (float)h; // exact: every binary16 value is a binary32 value
            }
        }
        entry = new FleetEntry
        {
            SpaceId = spaceId,
            DeviceId = deviceId,
            Label = label,
            Version = (long)version,
            Count = (long)count,
            Mean = mean,
        };
        return FleetDecodeError.None;
    }

}
