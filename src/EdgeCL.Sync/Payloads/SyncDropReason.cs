namespace EdgeCL.Sync.Payloads;

/// <summary>Why a received message never reached the fleet state (design.md §3: dropped with a counted, logged reason).</summary>
public enum SyncDropReason
{
    /// <summary>The payload is signed by a device the trust store does not know (or carries no signature at all).</summary>
    Unsigned,

    /// <summary>The signature does not verify, or the topic names another device than the signed payload.</summary>
    Forged,

    /// <summary>A validly signed entry older than the one held (a replay of an old version). Identical copies are not drops: see <see cref="Client.SyncStatistics.Redelivered"/>.</summary>
    Stale,

    /// <summary>The entry belongs to another embedding space than this device's.</summary>
    WrongSpace,

    /// <summary>The payload is larger than <see cref="Client.FleetSyncOptions.MaxPayloadBytes"/>.</summary>
    Oversized,

    /// <summary>The topic or payload does not parse (bad magic, truncated, NaN, wrong length, unknown command).</summary>
    Malformed,

    /// <summary>An aggregate built under another merge policy (per-device cap) than this device's <see cref="Client.FleetSyncOptions.MergePolicy"/>.</summary>
    PolicyMismatch,
}
