using System.Text;

namespace EdgeCL.Sync.Topics;

/// <summary>
/// Makes arbitrary class labels safe as one MQTT topic level, and checks the identifiers that go into topics verbatim.
/// </summary>
/// <remarks>
/// <para>Labels are percent-encoded over their UTF-8 bytes: the RFC 3986 unreserved characters
/// <c>A–Z a–z 0–9 - . _ ~</c> stay as they are and every other byte becomes <c>%XX</c> (upper-case hex). So
/// <c>/</c>, <c>+</c>, <c>#</c>, <c>$</c>, <c>%</c>, spaces and non-ASCII text can never split a level, act as a
/// wildcard or start a <c>$SYS</c>-like topic, and the encoding is one-to-one: <see cref="TryDecodeLabel"/> rejects any
/// non-canonical form (lower-case hex, an escaped unreserved character), so one label has exactly one topic.</para>
/// <para>Fleet names and device ids are not encoded: they must already be topic-safe identifiers
/// (<c>[A-Za-z0-9_.-]</c>, 1–64 characters), because brokers' ACLs substitute the device's user name into
/// patterns literally (mosquitto's <c>%u</c>).</para>
/// </remarks>
public static class TopicSegment
{
    /// <summary>Longest fleet name or device id accepted.</summary>
    public const int MaxIdentifierLength = 64;

    /// <summary>Percent-encodes a class label into one topic level.</summary>
    /// <exception cref="ArgumentException">The label is empty.</exception>
    public static string EncodeLabel(string label)
    {
        ArgumentException.ThrowIfNullOrEmpty(label);
        byte[] utf8 = Encoding.UTF8.GetBytes(label);
        var builder = new StringBuilder(utf8.Length + 8);
        foreach (byte b in utf8)
        {
            if (IsUnreserved(b))
                builder.Append((char)b);
            else
                builder.Append('%').Append(HexDigit(b >> 4)).Append(HexDigit(b & 0xF));
        }
        return builder.ToString();
    }

    /// <summary>Decodes a topic level made by <see cref="EncodeLabel"/>; false for anything else.</summary>
    public static bool TryDecodeLabel(string segment, out string label)
    {
        label = string.Empty;
        if (string.IsNullOrEmpty(segment))
            return false;
        var bytes = new byte[segment.Length];
        int n = 0;
        for (int i = 0; i < segment.Length; i++)
        {
            char c = segment[i];
            if (c == '%')
            {
                if (i + 2 >= segment.Length)
                    return false;
                int hi = HexValue(segment[i + 1]), lo = HexValue(segment[i + 2]);
                if (hi < 0 || lo < 0)
                    return false;
                byte b = (byte)((hi << 4) | lo);
                if (IsUnreserved(b))
                    return false; // non-canonical: this byte must appear literally
                bytes[n++] = b;
                i += 2;
            }
            else if (c < 128 && IsUnreserved((byte)c))
            {
                bytes[n++] = (byte)c;
            }
            else
            {
                return false;
            }
        }
        try
        {
            label = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, 0, n);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        return label.Length > 0;
    }

    /// <summary>Whether <paramref name="value"/> is a topic-safe fleet name or device id.</summary>
    public static bool IsValidIdentifier(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxIdentifierLength)
            return false;
        foreach (char c in value)
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))
                return false;
        return value is not ("." or "..");
    }

    /// <summary>Throws unless <paramref name="value"/> is a topic-safe fleet name or device id.</summary>
    /// <exception cref="ArgumentException">The value is empty, too long, or has a character outside [A-Za-z0-9_.-].</exception>
    public static void EnsureIdentifier(string? value, string what)
    {
        if (!IsValidIdentifier(value))
            throw new ArgumentException(
                $"{what} '{value}' is not a valid MQTT identifier; use 1-{MaxIdentifierLength} characters from A-Z a-z 0-9 - _ . (it goes into topics and ACLs verbatim).");
    }

    private static bool IsUnreserved(byte b) =>
        b is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9')
            or (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~';

    private static char HexDigit(int v) => (char)(v < 10 ? '0' + v : 'A' + v - 10);

    // Upper-case only, so the encoding stays canonical.
    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
