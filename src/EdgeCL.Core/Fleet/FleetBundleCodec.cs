using System.Diagnostics.CodeAnalysis;

namespace EdgeCL.Core.Fleet;

/// <summary>
/// The container of the bundle topics <c>…/{space}/protos/{device}/{part}</c> and <c>…/{space}/aggs/{aggregator}/{part}</c>:
/// several signed entries (or aggregates) of one writer in one MQTT message, so that a flush or a publish cycle costs one
/// delivery, not one per class (docs/fleet-aggregation.md, "Bundles").
/// </summary>
/// <remarks>
/// <code>
///   2  magic "EG"     1  format version (1)     1  reserved (0)
///   varint P          parts of the set this bundle belongs to (a snapshot or delta split over P topics; 1 otherwise)
///   varint N          N × ( varint length L   L bytes: one signed entry or aggregate, exactly as on its own topic )
/// </code>
/// The container is not signed: each message in it is (alone or in its batch), and receivers verify each one as if it had
/// come on its own topic. A broker that drops or replays a bundle can do no more than it can with the messages one by
/// one, because receivers keep the newest entry and the maximum aggregate per class. Never throws on decode.
/// </remarks>
public static class FleetBundleCodec
{
    /// <summary>The format version this build writes and reads.</summary>
    public const byte FormatVersion = 1;

    /// <summary>Largest bundle written and read: under the 256 KiB a device accepts by default
    /// (<c>FleetSyncOptions.MaxPayloadBytes</c>), with room for the largest single aggregate.</summary>
    public const int MaxPayloadBytes = 192 * 1024;

    /// <summary>Most parts a set may have (the topics' part numbers s0 … s9999).</summary>
    public const int MaxParts = 10_000;

    private const int HeaderBytes = 4;
    private static ReadOnlySpan<byte> Magic => "EG"u8;

    /// <summary>Packs messages, in order, into as few bundles of at most <see cref="MaxPayloadBytes"/> each as a greedy fill
    /// gives; each bundle says how many there are. No messages, no bundles.</summary>
    /// <exception cref="ArgumentException">A message is empty or too large to fit a bundle alone.</exception>
    public static IReadOnlyList<byte[]> Pack(IEnumerable<byte[]> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var groups = new List<List<byte[]>>();
        var current = new List<byte[]>();
        int size = HeaderBytes + 4;
        foreach (byte[] message in messages)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            int cost = FleetWire.VarintLength((ulong)message.Length) + message.Length;
            if (message.Length == 0 || HeaderBytes + 8 + cost > MaxPayloadBytes)
                throw new ArgumentException($"A message of {message.Length} bytes cannot go in a bundle of at most {MaxPayloadBytes} bytes.", nameof(messages));
            // The part and message counts are counted at their widest (3 bytes each at most here) to stay under the limit.
            if (current.Count > 0 && size + cost + 2 > MaxPayloadBytes)
            {
                groups.Add(current);
                current = [];
                size = HeaderBytes + 4;
            }
            current.Add(message);
            size += cost;
        }
        if (current.Count > 0)
            groups.Add(current);
        return [.. groups.Select(group => Encode(group, groups.Count))];
    }

    /// <summary>Encodes one bundle, one of <paramref name="parts"/> of its set.</summary>
    /// <exception cref="ArgumentException">A message is empty, <paramref name="parts"/> is below 1, or the bundle would exceed <see cref="MaxPayloadBytes"/>.</exception>
    public static byte[] Encode(IReadOnlyList<byte[]> messages, int parts = 1)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentOutOfRangeException.ThrowIfLessThan(parts, 1);
        long length = HeaderBytes + FleetWire.VarintLength((ulong)parts) + FleetWire.VarintLength((ulong)messages.Count);
        foreach (byte[] message in messages)
        {
            if (message is not { Length: > 0 })
                throw new ArgumentException("A bundle cannot hold an empty message.", nameof(messages));
            length += FleetWire.VarintLength((ulong)message.Length) + message.Length;
        }
        if (length > MaxPayloadBytes)
            throw new ArgumentException($"The bundle would be {length} bytes, over {MaxPayloadBytes}; split it with Pack.", nameof(messages));
        byte[] payload = new byte[length];
        Span<byte> w = payload;
        int p = FleetWire.WriteHeader(w, Magic, FormatVersion, 0);
        p += FleetWire.WriteVarint(w[p..], (ulong)parts);
        p += FleetWire.WriteVarint(w[p..], (ulong)messages.Count);
        foreach (byte[] message in messages)
        {
            p += FleetWire.WriteVarint(w[p..], (ulong)message.Length);
            message.CopyTo(w[p..]);
            p += message.Length;
        }
        return payload;
    }

    /// <summary>Splits a bundle into copies of its messages (not yet verified: each is checked as on its own topic).</summary>
    public static bool TryDecode(ReadOnlySpan<byte> payload, [NotNullWhen(true)] out byte[][]? messages, out FleetDecodeError error) =>
        TryDecode(payload, out messages, out _, out error);

    /// <summary>As <see cref="TryDecode(ReadOnlySpan{byte}, out byte[][], out FleetDecodeError)"/>, with the number of parts of the bundle's set.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> payload, [NotNullWhen(true)] out byte[][]? messages, out int parts, out FleetDecodeError error)
    {
        messages = null;
        if (!TrySplit(payload, out Range[]? ranges, out parts, out error))
            return false;
        messages = new byte[ranges.Length][];
        for (int i = 0; i < ranges.Length; i++)
            messages[i] = payload[ranges[i]].ToArray();
        return true;
    }

    /// <summary>
    /// As <see cref="TryDecode(ReadOnlySpan{byte}, out byte[][], out int, out FleetDecodeError)"/>, but each message is a
    /// slice of <paramref name="payload"/> instead of a copy: a receiver that only verifies and merges copies nothing.
    /// </summary>
    public static bool TryDecode(byte[] payload, [NotNullWhen(true)] out ReadOnlyMemory<byte>[]? messages, out int parts, out FleetDecodeError error)
    {
        ArgumentNullException.ThrowIfNull(payload);
        messages = null;
        if (!TrySplit(payload, out Range[]? ranges, out parts, out error))
            return false;
        messages = new ReadOnlyMemory<byte>[ranges.Length];
        for (int i = 0; i < ranges.Length; i++)
            messages[i] = payload.AsMemory(ranges[i]);
        return true;
    }

    private static bool TrySplit(ReadOnlySpan<byte> payload, [NotNullWhen(true)] out Range[]? ranges, out int parts, out FleetDecodeError error)
    {
        ranges = null;
        parts = 0;
        error = FleetWire.CheckHeader(payload, Magic, FormatVersion, MaxPayloadBytes);
        if (error != FleetDecodeError.None)
            return false;
        if (payload[2] != FormatVersion || payload[3] != 0)
        {
            // A batch-flagged format byte or a kind this build does not know: not a bundle it can read.
            error = FleetDecodeError.UnsupportedFormatVersion;
            return false;
        }
        int p = HeaderBytes;
        error = FleetWire.TryVarint(payload, ref p, out ulong partCount);
        if (error != FleetDecodeError.None)
            return false;
        if (partCount is 0 or > MaxParts)
        {
            error = FleetDecodeError.BadInteger;
            return false;
        }
        error = FleetWire.TryVarint(payload, ref p, out ulong count);
        if (error != FleetDecodeError.None)
            return false;
        // Each message takes at least two bytes (its length and one byte): check before allocating.
        if (count > (ulong)((payload.Length - p) / 2))
        {
            error = FleetDecodeError.Truncated;
            return false;
        }
        var result = new Range[count];
        for (int i = 0; i < result.Length; i++)
        {
            error = FleetWire.TryVarint(payload, ref p, out ulong length);
            if (error != FleetDecodeError.None)
                return false;
            if (length == 0 || length > (ulong)(payload.Length - p))
            {
                error = length == 0 ? FleetDecodeError.BadInteger : FleetDecodeError.Truncated;
                return false;
            }
            result[i] = new Range(p, p + (int)length);
            p += (int)length;
        }
        if (p != payload.Length)
        {
            error = FleetDecodeError.TrailingBytes;
            return false;
        }
        ranges = result;
        parts = (int)partCount;
        return true;
    }
}
