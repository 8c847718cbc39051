using EdgeCL.Core.Fleet;

namespace EdgeCL.Sync.Client;

/// <summary>Raised after an entry changed the fleet state, so the device can rebuild the prototypes of <see cref="Entry"/>'s class.</summary>
/// <param name="entry">The entry that was merged.</param>
/// <param name="isOwn">True when this device wrote it.</param>
/// <param name="payload">The verified payload the entry was decoded from, when known.</param>
public sealed class FleetStateChangedEventArgs(FleetEntry entry, bool isOwn, byte[]? payload = null) : EventArgs
{
    /// <summary>The entry that was merged (after the wire round trip, so fp16 rounding included).</summary>
    public FleetEntry Entry { get; } = entry;

    /// <summary>True when this device wrote the entry.</summary>
    public bool IsOwn { get; } = isOwn;

    /// <summary>The signed payload <see cref="Entry"/> was decoded from (already verified), or null; do not modify it.</summary>
    public byte[]? Payload { get; } = payload;
}
