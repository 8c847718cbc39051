using EdgeCL.Sync.Status;

namespace EdgeCL.Sync.Operator;

/// <summary>What an operator's <see cref="FleetView"/> holds at one moment: every device, every class across the fleet,
/// the commands it knows of, and the retained messages it did not show.</summary>
/// <param name="Fleet">The fleet name.</param>
/// <param name="Verified">Whether entries were checked against a trust folder.</param>
/// <param name="Devices">Every device with a status or an entry, by id.</param>
/// <param name="Classes">Every label across the fleet, by label.</param>
/// <param name="Commands">Known commands, newest first.</param>
/// <param name="Drops">Messages not shown, per reason (malformed, oversized, unsigned, forged).</param>
/// <param name="Dropped">The first of them, by topic.</param>
public sealed record FleetSnapshot(string Fleet, bool Verified, IReadOnlyList<FleetDeviceView> Devices, IReadOnlyList<FleetLabelView> Classes,
    IReadOnlyList<FleetCommandView> Commands, IReadOnlyDictionary<string, long> Drops, IReadOnlyList<FleetDroppedTopic> Dropped);

/// <summary>One device as the broker's retained topics describe it.</summary>
/// <param name="Device">Device id.</param>
/// <param name="Online">True after a birth, false after a will or goodbye, null without a status.</param>
/// <param name="Session">The connection counter of its status.</param>
/// <param name="Space">Its backbone's embedding space (from its status).</param>
/// <param name="LastSeenMs">Unix ms of its latest status, or of the latest message seen live from it.</param>
/// <param name="Health">Its last health report (kept when a will, which carries none, follows).</param>
/// <param name="Entries">Its retained entries (one per space and class; tombstones included).</param>
public sealed record FleetDeviceView(string Device, bool? Online, long? Session, string? Space, long LastSeenMs, DeviceHealth? Health, IReadOnlyList<FleetEntryView> Entries);

/// <summary>One retained entry; <c>Signature</c> is "valid" (verified with a trust folder) or "unchecked".</summary>
/// <param name="Space">Embedding space.</param>
/// <param name="Label">Class label.</param>
/// <param name="Version">Entry version.</param>
/// <param name="Count">Examples behind the mean.</param>
/// <param name="Dimension">Values in the mean (0 for a tombstone).</param>
/// <param name="Tombstone">Whether the device forgot the class.</param>
/// <param name="PayloadBytes">Size on the wire.</param>
/// <param name="Signature">"valid" or "unchecked".</param>
/// <param name="ChangedMs">Unix ms when this view first saw this version.</param>
public sealed record FleetEntryView(string Space, string Label, long Version, long Count, int Dimension, bool Tombstone, int PayloadBytes, string Signature, long ChangedMs);

/// <summary>One class across the fleet.</summary>
/// <param name="Label">Class label.</param>
/// <param name="Count">Examples across the contributing devices.</param>
/// <param name="Devices">Devices that contributed examples, with their counts.</param>
/// <param name="ForgottenBy">Devices whose entry is a tombstone.</param>
/// <param name="Spaces">Embedding spaces the entries are in.</param>
/// <param name="ChangedMs">Unix ms of the latest change this view saw.</param>
public sealed record FleetLabelView(string Label, long Count, IReadOnlyList<FleetContribution> Devices, IReadOnlyList<string> ForgottenBy, IReadOnlyList<string> Spaces, long ChangedMs);

/// <summary>One device's share of a class.</summary>
/// <param name="Device">Device id.</param>
/// <param name="Count">Its examples.</param>
/// <param name="Version">Its entry version.</param>
public sealed record FleetContribution(string Device, long Count, long Version);

/// <summary>One signed command and where it stands.</summary>
/// <param name="Id">Its id (the nonce).</param>
/// <param name="Device">The addressed device.</param>
/// <param name="Command">Wire name, e.g. <c>forget_class</c>.</param>
/// <param name="Label">Its label argument, if any.</param>
/// <param name="Operator">Who signed it.</param>
/// <param name="State"><c>pending</c> (not acknowledged yet), <c>done</c> (the device acknowledged it), <c>refused</c> (the
/// device verified it and said why it would not act: its health lists the id), <c>expired</c> (not acknowledged before its
/// expiry) or <c>withdrawn</c> (its retained copy was cleared before an acknowledgement).</param>
/// <param name="SentMs">Unix ms when this view first saw it.</param>
/// <param name="ExpiresMs">Unix ms of its expiry.</param>
/// <param name="AckedMs">Unix ms when this view saw the acknowledgement.</param>
/// <param name="Retained">Whether the broker still holds it.</param>
/// <param name="Why">For <c>refused</c>: the device's one-line reason.</param>
public sealed record FleetCommandView(string Id, string Device, string Command, string? Label, string Operator, string State, long SentMs, long ExpiresMs, long? AckedMs, bool Retained,
    string? Why = null);

/// <summary>A retained message a view did not show: its topic, the reason and what was wrong.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Reason">malformed, oversized, unsigned or forged.</param>
/// <param name="Why">One line.</param>
public sealed record FleetDroppedTopic(string Topic, string Reason, string Why);
