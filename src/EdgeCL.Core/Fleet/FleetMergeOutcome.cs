namespace EdgeCL.Core.Fleet;

/// <summary>What happened to one entry or payload offered to a <see cref="FleetState"/>.</summary>
public enum FleetMergeOutcome
{
    /// <summary>The entry was new or newer than the held one and now holds its (device, label) slot.</summary>
    Applied,

    /// <summary>An identical entry was already held: a broker duplicate or replay; nothing changed.</summary>
    Duplicate,

    /// <summary>A newer entry for the same (device, label) is held; nothing changed.</summary>
    Stale,

    /// <summary>
    /// Same version as the held entry but different content (a device that lost its state and reused a version).
    /// The deterministic winner of <see cref="FleetEntryOrder.Compare"/> is kept, so every replica agrees.
    /// </summary>
    Conflict,

    /// <summary>The entry belongs to another embedding space; it never touches the state.</summary>
    WrongSpace,

    /// <summary>The entry breaks a rule (NaN, wrong dimension, count or version out of range, tombstone with a mean, …); it never touches the state.</summary>
    Invalid,

    /// <summary>The payload could not be decoded (see <see cref="FleetDecodeError"/>); it never touches the state.</summary>
    Malformed,

    /// <summary>The payload is signed by a device the trust store does not know; it never touches the state.</summary>
    UnknownDevice,

    /// <summary>The payload's signature does not verify with the device's public key; it never touches the state.</summary>
    BadSignature,

    /// <summary>An aggregate built under another merge policy than the receiver's (<see cref="FleetMergePolicy"/>); it never touches the view.</summary>
    PolicyMismatch,
}
