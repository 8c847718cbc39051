using System.Diagnostics.CodeAnalysis;
using EdgeCL.Core.Fleet;

namespace EdgeCL.Sync.Payloads;

/// <summary>Turns a <see cref="FleetEntry"/> into the bytes of one MQTT message and back, signing and verifying on the way.</summary>
/// <remarks>
/// The sync client depends on this seam only, so the wire format (magic, version, dtype, signature) lives with the fleet
/// state in EdgeCL.Core. Implementations must be safe for concurrent <see cref="Encode"/> and <see cref="TryDecode"/>
/// calls: the client encodes on the publisher and decodes on its single consumer.
/// </remarks>
public interface IFleetEntryCodec
{
    /// <summary>Encodes (and signs) one of this device's own entries.</summary>
    byte[] Encode(FleetEntry entry);

    /// <summary>Encodes several own entries at once, e.g. with one batch signature; each payload must decode on its own.</summary>
    /// <remarks>By default each entry is encoded alone.</remarks>
    IReadOnlyList<byte[]> EncodeBatch(IReadOnlyList<FleetEntry> entries) => [.. entries.Select(Encode)];

    /// <summary>Decodes and verifies a received payload.</summary>
    /// <returns>False, with the reason, when the payload must be dropped.</returns>
    bool TryDecode(ReadOnlySpan<byte> payload, [NotNullWhen(true)] out FleetEntry? entry, out SyncDropReason reason);
}
