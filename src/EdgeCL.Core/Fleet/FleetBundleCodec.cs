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

    private const int HeaderBytes = 4;
    private static ReadOnlySpan<byte> Magic => "EG"u8;

    /// <summary>Packs messages, in order, into as few bundles of at most <see cref="MaxPayloadBytes"/> each as a greedy fill gives.</summary>
    /// <exception cref="ArgumentException">A message is empty or too large to fit a bundle alone.</exception>
    public static IReadOnlyList<byte[]> Pack(IEnumerable<byte[]> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var bundles = new List<byte[]>();
        var current = new List<byte[]>();
        int size = HeaderBytes + 1;
        foreach (byte[] message in messages)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            int cost = FleetWire.VarintLength((ulong)message.Length) + message.Length;
            if (message.Length == 0 || HeaderBytes + 3 + cost > MaxPayloadBytes)
                throw new ArgumentException($"A message of {message.Length} bytes cannot go in a bundle of at most {MaxPayloadBytes} bytes.", nameof(messages));
            // The count varint grows by a byte at 128 and 16,384 messages: count it at its widest to stay under the limit.
            if (current.Count > 0 && size + cost + 2 > MaxPayloadBytes)
            {
                bundles.Add(Encode(current));
                current.Clear();
                size = HeaderBytes + 1;
            }
            current.Add(message);
            size += cost;
        }
        if (current.Count > 0)
            bundles.Add(Encode(current));
        return bundles;
    }

    /// <summary>Encodes one bundle.</summary>
    /// <exception cref="ArgumentException">A message is empty, or the bundle would exceed <see cref="MaxPayloadBytes"/>.</exception>
    public static byte[] Encode(IReadOnlyList<byte[]> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        long length = HeaderBytes + FleetWire.VarintLength((ulong)messages.Count);
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
    public static bool TryDecode(ReadOnlySpan<byte> payload, [NotNullWhen(true)] out byte[][]? messages, out FleetDecodeError error)
    {
        messages = null;
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
        error = FleetWire.TryVarint(payload, ref p, out ulong count);
        if (error != FleetDecodeError.None)
            return false;
        // Each message takes at least two bytes (its length and one byte): check before allocating.
        if (count > (ulong)((payload.Length - p) / 2))
        {
            error = FleetDecodeError.Truncated;
            return false;
        }
        var result = new byte[count][];
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
            result[i] = payload.Slice(p, (int)length).ToArray();
            p += (int)length;
        }
        if (p != payload.Length)
        {
            error = FleetDecodeError.TrailingBytes;
            return false;
        }
        messages = result;
        return true;
    }
}
