using System.Text;
using System.Text.Unicode;

namespace EdgeCL.Core.Fleet;

/// <summary>
/// The field encodings shared by every signed fleet payload (entries, aggregates, receipts): unsigned LEB128 varints of
/// minimal length, space ids packed as nibbles, ASCII ids with a length byte, UTF-8 labels with a varint length.
/// </summary>
/// <remarks>Readers never throw and never allocate before a length has been checked against the remaining bytes.</remarks>
internal static class FleetWire
{
    private const string HexDigits = "0123456789abcdef";

    /// <summary>The 4-byte header every signed payload starts with: two magic bytes, the format version, one kind byte.</summary>
    public static int WriteHeader(Span<byte> w, ReadOnlySpan<byte> magic, byte version, byte kind)
    {
        magic.CopyTo(w);
        w[2] = version;
        w[3] = kind;
        return 4;
    }

    /// <summary>Checks the size limit, the magic and the format version (either signature envelope, <see cref="Signing.SignedPayload"/>); the caller checks the kind byte (payload[3]).</summary>
    public static FleetDecodeError CheckHeader(ReadOnlySpan<byte> payload, ReadOnlySpan<byte> magic, byte version, int maxBytes)
    {
        if (payload.Length > maxBytes)
            return FleetDecodeError.TooLarge;
        if (payload.Length < 4)
            return FleetDecodeError.Truncated;
        if (payload[0] != magic[0] || payload[1] != magic[1])
            return FleetDecodeError.BadMagic;
        return Signing.SignedPayload.FormatVersion(payload) != version ? FleetDecodeError.UnsupportedFormatVersion : FleetDecodeError.None;
    }

    /// <summary>Reads the (space id, writer id, label) triple that names an entry's or an aggregate's slot.</summary>
    public static FleetDecodeError TryReadSlot(ReadOnlySpan<byte> body, ref int p, out string spaceId, out string writerId, out string label)
    {
        writerId = label = "";
        FleetDecodeError e = TryReadSpaceId(body, ref p, out spaceId);
        if (e == FleetDecodeError.None)
            e = TryReadId(body, ref p, out writerId);
        if (e == FleetDecodeError.None)
            e = TryReadLabel(body, ref p, out label);
        return e;
    }

    public static bool TryByte(ReadOnlySpan<byte> data, ref int p, out byte value)
    {
        if (p >= data.Length)
        {
            value = 0;
            return false;
        }
        value = data[p++];
        return true;
    }

    public static FleetDecodeError TryVarint(ReadOnlySpan<byte> data, ref int p, out ulong value)
    {
        // Unsigned LEB128 of at most 63 bits (9 bytes), minimal length only, so each value has one encoding.
        value = 0;
        for (int shift = 0, i = 0; i < 9; i++, shift += 7)
        {
            if (p >= data.Length)
                return FleetDecodeError.Truncated;
            byte b = data[p++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                return b == 0 && i > 0 ? FleetDecodeError.BadInteger : FleetDecodeError.None;
        }
        return FleetDecodeError.BadInteger;
    }

    public static int VarintLength(ulong value)
    {
        int n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }
        return n;
    }

    public static int WriteVarint(Span<byte> destination, ulong value)
    {
        int n = 0;
        while (value >= 0x80)
        {
            destination[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[n++] = (byte)value;
        return n;
    }

    /// <summary>Bytes of an encoded space id: its digit count, then the digits two per byte.</summary>
    public static int SpaceIdLength(string spaceId) => 1 + ((spaceId.Length + 1) / 2);

    public static int WriteSpaceId(Span<byte> w, string spaceId)
    {
        int p = 0;
        w[p++] = (byte)spaceId.Length;
        for (int i = 0; i < spaceId.Length; i++)
        {
            int nibble = spaceId[i] <= '9' ? spaceId[i] - '0' : spaceId[i] - 'a' + 10;
            if ((i & 1) == 0)
                w[p] = (byte)(nibble << 4);
            else
                w[p++] |= (byte)nibble;
        }
        if ((spaceId.Length & 1) == 1)
            p++;
        return p;
    }

    public static FleetDecodeError TryReadSpaceId(ReadOnlySpan<byte> body, ref int p, out string spaceId)
    {
        spaceId = "";
        if (!TryByte(body, ref p, out byte digits))
            return FleetDecodeError.Truncated;
        if (digits is 0 or > FleetLimits.MaxSpaceIdLength)
            return FleetDecodeError.BadSpaceId;
        int bytes = (digits + 1) / 2;
        if (body.Length - p < bytes)
            return FleetDecodeError.Truncated;
        if ((digits & 1) == 1 && (body[p + bytes - 1] & 0x0F) != 0)
            return FleetDecodeError.BadSpaceId; // non-canonical padding would let two payloads mean the same id
        ReadOnlySpan<byte> packed = body.Slice(p, bytes);
        Span<char> chars = stackalloc char[digits];
        for (int i = 0; i < chars.Length; i++)
            chars[i] = HexDigits[(i & 1) == 0 ? packed[i >> 1] >> 4 : packed[i >> 1] & 0x0F];
        spaceId = DecodedStrings.Share(chars);
        p += bytes;
        return FleetDecodeError.None;
    }

    /// <summary>Bytes of an encoded device (or aggregator) id: a length byte, then ASCII.</summary>
    public static int IdLength(string id) => 1 + id.Length;

    public static int WriteId(Span<byte> w, string id)
    {
        w[0] = (byte)id.Length;
        return 1 + Encoding.ASCII.GetBytes(id, w[1..]);
    }

    public static FleetDecodeError TryReadId(ReadOnlySpan<byte> body, ref int p, out string id)
    {
        id = "";
        if (!TryByte(body, ref p, out byte length))
            return FleetDecodeError.Truncated;
        if (length is 0 or > FleetLimits.MaxDeviceIdLength)
            return FleetDecodeError.BadDeviceId;
        if (body.Length - p < length)
            return FleetDecodeError.Truncated;
        Span<char> chars = stackalloc char[length];
        for (int i = 0; i < length; i++)
        {
            byte b = body[p + i];
            if (!char.IsAsciiLetterOrDigit((char)b) && b is not ((byte)'.' or (byte)'_' or (byte)'-'))
                return FleetDecodeError.BadDeviceId;
            chars[i] = (char)b;
        }
        id = DecodedStrings.Share(chars);
        p += length;
        return FleetDecodeError.None;
    }

    /// <summary>Bytes of an encoded label: a varint length, then UTF-8.</summary>
    public static int LabelLength(int utf8Bytes) => VarintLength((ulong)utf8Bytes) + utf8Bytes;

    public static int WriteLabel(Span<byte> w, ReadOnlySpan<byte> utf8)
    {
        int p = WriteVarint(w, (ulong)utf8.Length);
        utf8.CopyTo(w[p..]);
        return p + utf8.Length;
    }

    public static FleetDecodeError TryReadLabel(ReadOnlySpan<byte> body, ref int p, out string label)
    {
        label = "";
        FleetDecodeError e = TryVarint(body, ref p, out ulong length);
        if (e != FleetDecodeError.None)
            return e;
        if (length is 0 or > FleetLimits.MaxLabelBytes)
            return FleetDecodeError.BadLabel;
        if ((ulong)(body.Length - p) < length)
            return FleetDecodeError.Truncated;
        ReadOnlySpan<byte> bytes = body.Slice(p, (int)length);
        if (!Utf8.IsValid(bytes))
            return FleetDecodeError.BadLabel;
        // Valid UTF-8 of at most MaxLabelBytes bytes decodes to at most as many UTF-16 chars.
        Span<char> chars = stackalloc char[bytes.Length];
        int count = Encoding.UTF8.GetChars(bytes, chars);
        if (DecodedStrings.TryGet(chars[..count], out string held))
        {
            label = held;
        }
        else
        {
            string text = new(chars[..count]);
            if (!FleetLimits.IsValidLabel(text))
                return FleetDecodeError.BadLabel;
            label = DecodedStrings.Keep(text);
        }
        p += (int)length;
        return FleetDecodeError.None;
    }
}
