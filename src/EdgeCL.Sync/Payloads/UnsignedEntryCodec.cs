using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Sync.Payloads;

/// <summary>A minimal, unsigned binary entry format for tests, simulations and trusted networks.</summary>
/// <remarks>
/// <para>Layout (little-endian): <c>"ECLU"</c>, format 1, dtype (1 = fp32, 2 = fp16), space id (u8 length + ASCII),
/// device id (u8 + ASCII), label (u16 + UTF-8), version (i64), count (i64), dimension (i32), then the vector.
/// Fixed overhead is 28 bytes plus the three strings.</para>
/// <para>It carries no signature, so any client that can publish under a device's topic can forge that device's
/// contribution; production fleets use the signed codec from EdgeCL.Core (design.md §3, Trust). Thread-safe.</para>
/// </remarks>
public sealed class UnsignedEntryCodec : IFleetEntryCodec
{
    private static ReadOnlySpan<byte> Magic => "ECLU"u8;
    private const byte FormatVersion = 1;
    private const int MaxLabelBytes = 1024;

    /// <summary>Creates a codec that writes vectors with <paramref name="encoding"/> (reads both).</summary>
    public UnsignedEntryCodec(VectorEncoding encoding = VectorEncoding.Float32)
    {
        if (encoding is not (VectorEncoding.Float32 or VectorEncoding.Float16))
            throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "Use Float32 or Float16.");
        Encoding = encoding;
    }

    /// <summary>How this codec writes vectors.</summary>
    public VectorEncoding Encoding { get; }

    /// <inheritdoc/>
    public byte[] Encode(FleetEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        byte[] space = System.Text.Encoding.ASCII.GetBytes(entry.SpaceId);
        byte[] device = System.Text.Encoding.ASCII.GetBytes(entry.DeviceId);
        byte[] label = System.Text.Encoding.UTF8.GetBytes(entry.Label);
        if (space.Length > 255 || device.Length > 255 || label.Length > MaxLabelBytes)
            throw new ArgumentException($"Entry '{entry.DeviceId}/{entry.Label}' has an identifier longer than the format allows (space/device 255 bytes, label {MaxLabelBytes}).");
        int elementSize = Encoding == VectorEncoding.Float16 ? 2 : 4;
        int length = 4 + 1 + 1 + 1 + space.Length + 1 + device.Length + 2 + label.Length + 8 + 8 + 4 + entry.Mean.Length * elementSize;
        byte[] buffer = new byte[length];
        Span<byte> s = buffer;
        Magic.CopyTo(s);
        s[4] = FormatVersion;
        s[5] = (byte)Encoding;
        int o = 6;
        s[o++] = (byte)space.Length; space.CopyTo(s[o..]); o += space.Length;
        s[o++] = (byte)device.Length; device.CopyTo(s[o..]); o += device.Length;
        BinaryPrimitives.WriteUInt16LittleEndian(s[o..], (ushort)label.Length); o += 2;
        label.CopyTo(s[o..]); o += label.Length;
        BinaryPrimitives.WriteInt64LittleEndian(s[o..], entry.Version); o += 8;
        BinaryPrimitives.WriteInt64LittleEndian(s[o..], entry.Count); o += 8;
        BinaryPrimitives.WriteInt32LittleEndian(s[o..], entry.Mean.Length); o += 4;
        foreach (float v in entry.Mean)
        {
            if (Encoding == VectorEncoding.Float16)
            {
                BinaryPrimitives.WriteHalfLittleEndian(s[o..], (Half)v);
                o += 2;
            }
            else
            {
                BinaryPrimitives.WriteSingleLittleEndian(s[o..], v);
                o += 4;
            }
        }
        return buffer;
    }

    /// <inheritdoc/>
    public bool TryDecode(ReadOnlySpan<byte> payload, [NotNullWhen(true)] out FleetEntry? entry, out SyncDropReason reason)
    {
        entry = null;
        reason = SyncDropReason.Malformed;
        if (payload.Length < 6 || !payload[..4].SequenceEqual(Magic) || payload[4] != FormatVersion)
            return false;
        var dtype = (VectorEncoding)payload[5];
        if (dtype is not (VectorEncoding.Float32 or VectorEncoding.Float16))
            return false;
        int o = 6;
        if (!TryReadAscii(payload, ref o, out string space) || !TryReadAscii(payload, ref o, out string device))
            return false;
        if (o + 2 > payload.Length)
            return false;
        int labelLength = BinaryPrimitives.ReadUInt16LittleEndian(payload[o..]);
        o += 2;
        if (labelLength == 0 || labelLength > MaxLabelBytes || o + labelLength + 20 > payload.Length)
            return false;
        string label;
        try
        {
            label = new UTF8Encoding(false, true).GetString(payload.Slice(o, labelLength));
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        o += labelLength;
        long version = BinaryPrimitives.ReadInt64LittleEndian(payload[o..]); o += 8;
        long count = BinaryPrimitives.ReadInt64LittleEndian(payload[o..]); o += 8;
        int dimension = BinaryPrimitives.ReadInt32LittleEndian(payload[o..]); o += 4;
        int elementSize = dtype == VectorEncoding.Float16 ? 2 : 4;
        if (version < 1 || count < 0 || dimension < 0 || dimension > EmbeddingSpace.MaxDimension
            || (count == 0) != (dimension == 0) || payload.Length - o != (long)dimension * elementSize)
            return false;
        float[] mean = new float[dimension];
        for (int i = 0; i < dimension; i++)
        {
            float v = dtype == VectorEncoding.Float16
                ? (float)BinaryPrimitives.ReadHalfLittleEndian(payload[(o + 2 * i)..])
                : BinaryPrimitives.ReadSingleLittleEndian(payload[(o + 4 * i)..]);
            if (!float.IsFinite(v))
                return false;
            mean[i] = v;
        }
        entry = new FleetEntry { SpaceId = space, DeviceId = device, Label = label, Version = version, Count = count, Mean = mean };
        return true;
    }

    private static bool TryReadAscii(ReadOnlySpan<byte> payload, ref int offset, out string value)
    {
        value = string.Empty;
        if (offset >= payload.Length)
            return false;
        int length = payload[offset++];
        if (length == 0 || offset + length > payload.Length)
            return false;
        foreach (byte b in payload.Slice(offset, length))
            if (b is < 0x21 or > 0x7E)
                return false;
        value = System.Text.Encoding.ASCII.GetString(payload.Slice(offset, length));
        offset += length;
        return true;
    }
}
