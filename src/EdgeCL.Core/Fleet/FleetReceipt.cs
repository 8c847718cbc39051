namespace EdgeCL.Core.Fleet;

/// <summary>Result of offering one encoded payload to <see cref="FleetState.Receive"/>.</summary>
/// <param name="Outcome">What happened; anything but <see cref="FleetMergeOutcome.Applied"/> and <see cref="FleetMergeOutcome.Conflict"/> left the state unchanged.</param>
/// <param name="DecodeError">Why decoding failed when <paramref name="Outcome"/> is <see cref="FleetMergeOutcome.Malformed"/>; otherwise <see cref="FleetDecodeError.None"/>.</param>
/// <param name="Entry">The decoded entry, or null when the payload did not decode.</param>
public readonly record struct FleetReceipt(FleetMergeOutcome Outcome, FleetDecodeError DecodeError, FleetEntry? Entry)
{
    /// <summary>Whether the caller should persist <see cref="Entry"/>: it was applied, or it took part in a conflict the store must resolve the same way.</summary>
    public bool ShouldPersist => Outcome is FleetMergeOutcome.Applied or FleetMergeOutcome.Conflict;
}
