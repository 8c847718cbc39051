using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Payloads;

namespace EdgeCL.Sync.Client;

/// <summary>Raised after an entry changed the fleet state, so the device can rebuild the prototypes of <see cref="Entry"/>'s class.</summary>
public sealed class FleetStateChangedEventArgs : EventArgs
{
    private readonly ReadOnlyMemory<byte>? _payload;
    private byte[]? _array;

    /// <summary>Creates the arguments.</summary>
    /// <param name="entry">The entry that was merged.</param>
    /// <param name="isOwn">True when this device wrote it.</param>
    /// <param name="payload">The verified payload the entry was decoded from, when known.</param>
    public FleetStateChangedEventArgs(FleetEntry entry, bool isOwn, byte[]? payload = null)
        : this(entry, isOwn, payload is null ? null : (ReadOnlyMemory<byte>?)payload)
    {
    }

    // A message out of a bundle: a slice of the bundle, copied only if a handler reads Payload.
    internal FleetStateChangedEventArgs(FleetEntry entry, bool isOwn, ReadOnlyMemory<byte>? payload)
    {
        Entry = entry;
        IsOwn = isOwn;
        _payload = payload;
    }

    /// <summary>The entry that was merged (after the wire round trip, so fp16 rounding included).</summary>
    public FleetEntry Entry { get; }

    /// <summary>True when this device wrote the entry.</summary>
    public bool IsOwn { get; }

    /// <summary>The signed payload <see cref="Entry"/> was decoded from (already verified), or null; do not modify it.</summary>
    public byte[]? Payload => _payload is { } payload ? _array ??= PayloadBytes.ArrayOf(payload) : null;
}
