using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Commands;
using EdgeCL.Sync.Status;
using EdgeCL.Sync.Topics;

namespace EdgeCL.Sync.Operator;

/// <summary>
/// An operator's picture of one fleet, built from the broker's topics: statuses (birth, will, health, acknowledged
/// commands), retained entries (verified against a trust folder when one is given) and commands. What <c>edgecl fleet
/// status</c> prints and the fleet page shows. A command is <c>pending</c> until its device's status lists its id, then
/// <c>done</c>; <see cref="CommandsToClear"/> names the retained copies that are done, so they are not redelivered forever.
/// </summary>
/// <remarks>Thread-safe (one lock); bounded: at most <see cref="MaxCommands"/> commands and <see cref="MaxListedDrops"/>
/// dropped topics are kept, so a broker full of junk cannot grow it without end.</remarks>
public sealed class FleetView(string fleet, TrustStore? trust = null, TimeProvider? time = null)
{
    /// <summary>Most commands remembered (the oldest finished ones go first).</summary>
    public const int MaxCommands = 500;

    /// <summary>Most dropped topics listed (all are counted).</summary>
    public const int MaxListedDrops = 200;

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, DeviceRecord> _devices = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CommandRecord> _commands = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, long> _drops = new(StringComparer.Ordinal) { ["malformed"] = 0, ["oversized"] = 0, ["unsigned"] = 0, ["forged"] = 0 };
    private readonly Dictionary<string, FleetDroppedTopic> _dropped = new(StringComparer.Ordinal);

    /// <summary>The fleet this view reads.</summary>
    public string Fleet { get; } = fleet;

    /// <summary>Whether a device with this id has been seen (a status or an entry).</summary>
    public bool Knows(string device)
    {
        lock (_lock)
            return _devices.ContainsKey(device);
    }

    /// <summary>Takes one message from the broker; true when the view changed.</summary>
    public bool Apply(string topicName, ReadOnlySpan<byte> payload, bool retained)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_lock)
        {
            if (!FleetTopics.TryParse(topicName, out FleetTopic topic) || topic.Fleet != Fleet)
                return Dropped(topicName, "malformed", "not an edgecl/v1 topic of this fleet");
            return topic.Kind switch
            {
                FleetTopicKind.Status => ApplyStatus(topic, payload, retained, now),
                FleetTopicKind.Prototype => ApplyEntry(topic, topicName, payload, retained, now),
                FleetTopicKind.PrototypeBundle => ApplyEntryBundle(topic, topicName, payload, retained, now),
                FleetTopicKind.Command => ApplyCommand(topicName, payload, retained, now),
                _ => false, // aggregates and receipts: `edgecl fleet audit` reads those

            };
        }
    }

    /// <summary>Records a command this process sent (so it shows as pending before the broker echoes it).</summary>
    public void Sent(SignedCommand command, bool retained)
    {
        ArgumentNullException.ThrowIfNull(command);
        lock (_lock)
            Remember(command, command.Topic, retained, _time.GetUtcNow().ToUnixTimeMilliseconds());
    }

    /// <summary>Topics of retained commands whose device acknowledged them: publish an empty retained message on each
    /// (then <see cref="Clearing"/>), so the broker stops redelivering them.</summary>
    public IReadOnlyList<string> CommandsToClear()
    {
        lock (_lock)
            return [.. _commands.Values.Where(c => c.Retained && !c.Clearing && c.AckedMs is not null).Select(c => c.Topic).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>Notes that a clear of <paramref name="topic"/> was sent (the broker's echo then marks it not retained).</summary>
    public void Clearing(string topic)
    {
        lock (_lock)
            foreach (CommandRecord c in _commands.Values)
                if (c.Topic == topic)
                    c.Clearing = true;
    }

    /// <summary>Everything the view holds now.</summary>
    public FleetSnapshot Snapshot()
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_lock)
        {
            var devices = _devices.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => new FleetDeviceView(d.Key, d.Value.Status?.Online, d.Value.Status?.Session,
                d.Value.Status?.Space, d.Value.LastSeenMs, d.Value.Health,
                [.. d.Value.Entries.Values.OrderBy(e => e.Label, StringComparer.Ordinal).ThenBy(e => e.Space, StringComparer.Ordinal)])).ToList();
            var classes = _devices.SelectMany(d => d.Value.Entries.Values.Select(e => (Device: d.Key, Entry: e)))
                .GroupBy(x => x.Entry.Label, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new FleetLabelView(g.Key, g.Where(x => !x.Entry.Tombstone).Sum(x => x.Entry.Count),
                    [.. g.Where(x => !x.Entry.Tombstone).Select(x => new FleetContribution(x.Device, x.Entry.Count, x.Entry.Version)).OrderBy(c => c.Device, StringComparer.Ordinal)],
                    [.. g.Where(x => x.Entry.Tombstone).Select(x => x.Device).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
                    [.. g.Select(x => x.Entry.Space).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
                    g.Max(x => x.Entry.ChangedMs))).ToList();
            var commands = _commands.Values.OrderByDescending(c => c.SentMs).ThenBy(c => c.Signed.Id, StringComparer.Ordinal).Select(c => View(c, now)).ToList();
            return new FleetSnapshot(Fleet, trust is not null, devices, classes, commands, new SortedDictionary<string, long>(_drops, StringComparer.Ordinal),
                [.. _dropped.Values.OrderBy(d => d.Topic, StringComparer.Ordinal)]);
        }
    }

    private FleetCommandView View(CommandRecord c, long now)
    {
        string? refusal = Refusal(c);
        return new FleetCommandView(c.Signed.Id, c.Signed.Command.Device, FleetCommand.WireName(c.Signed.Command.Kind), c.Signed.Command.Label,
            c.Signed.Operator, State(c, now, refusal), c.SentMs, c.Signed.ExpiresMs, c.AckedMs, c.Retained, refusal);
    }

    private static string State(CommandRecord c, long now, string? refusal) =>
        refusal is not null ? "refused" : c.AckedMs is not null ? "done" : c.Withdrawn ? "withdrawn" : c.Signed.ExpiresMs < now ? "expired" : "pending";

    // A device that verified a command but would not act on it (a new_backbone it cannot load) lists it in its health.
    private string? Refusal(CommandRecord c) =>
        _devices.TryGetValue(c.Signed.Command.Device, out DeviceRecord? device) && device.Health?.Refused is { } refused
            && refused.TryGetValue(c.Signed.Id, out string? why) ? why : null;

    private bool ApplyStatus(FleetTopic topic, ReadOnlySpan<byte> payload, bool retained, long now)
    {
        if (payload.IsEmpty)
        {
            // A cleared status (the device was retired): its entries, if any are still retained, keep it listed.
            if (!_devices.TryGetValue(topic.Device, out DeviceRecord? retired))
                return false;
            retired.Status = null;
            if (retired.Entries.Count == 0)
                _devices.Remove(topic.Device);
            return true;
        }
        if (!DeviceStatus.TryParse(payload, out DeviceStatus? status))
            return Dropped(FleetTopics.Status(Fleet, topic.Device), "malformed", "not a status message");
        DeviceRecord device = Device(topic.Device);
        device.Status = status;
        if (status.Health is not null)
            device.Health = status.Health;
        device.LastSeenMs = Math.Max(device.LastSeenMs, retained ? Math.Max(status.UpdatedMs, status.TimeMs) : now);
        foreach (string id in status.Acked ?? [])
            if (_commands.TryGetValue(id, out CommandRecord? command) && command.Signed.Command.Device == topic.Device && command.AckedMs is null)
                command.AckedMs = now;
        return true;
    }

    private bool ApplyEntry(FleetTopic topic, string topicName, ReadOnlySpan<byte> payload, bool retained, long now)
    {
        string key = topic.SpaceId + "/" + topic.Label;
        if (payload.IsEmpty)
            return _devices.TryGetValue(topic.Device, out DeviceRecord? cleared) && cleared.Entries.Remove(key);
        if (EntryCheck.Check(topic, payload, trust, out string signature) is not { } entry)
        {
            (string reason, string why) = EntryCheck.DropReason(topic, payload, trust);
            return Dropped(topicName, reason, why);
        }
        _dropped.Remove(topicName);
        DeviceRecord device = Device(topic.Device);
        if (!retained)
            device.LastSeenMs = Math.Max(device.LastSeenMs, now);
        long changed = device.Entries.TryGetValue(key, out FleetEntryView? held) && held.Version == entry.Version ? held.ChangedMs : now;
        device.Entries[key] = new FleetEntryView(entry.SpaceId, entry.Label, entry.Version, entry.Count, entry.Mean.Length, entry.IsTombstone, payload.Length, signature, changed);
        return true;
    }

    // Each entry of a bundle is shown as if it had come on its own topic; a cleared part removes nothing (entries leave by
    // tombstones, and the snapshot that replaced the part holds them).
    private bool ApplyEntryBundle(FleetTopic topic, string topicName, ReadOnlySpan<byte> payload, bool retained, long now)
    {
        if (payload.IsEmpty)
            return false;
        if (!FleetBundleCodec.TryDecode(payload, out byte[][]? messages, out FleetDecodeError error))
            return Dropped(topicName, error == FleetDecodeError.TooLarge ? "oversized" : "malformed", $"not an entry bundle ({error})");
        bool changed = false;
        foreach (byte[] message in messages)
        {
            if (!FleetEntryCodec.TryDecode(message, out FleetEntry? entry, out FleetDecodeError entryError))
            {
                changed |= Dropped(topicName, "malformed", $"an entry in the bundle does not decode ({entryError})");
                continue;
            }
            changed |= ApplyEntry(topic with { Kind = FleetTopicKind.Prototype, Label = entry.Label }, topicName, message, retained, now);
        }
        return changed;
    }

    private bool ApplyCommand(string topicName, ReadOnlySpan<byte> payload, bool retained, long now)
    {
        if (payload.IsEmpty)
        {
            bool changed = false;
            foreach (CommandRecord c in _commands.Values)
            {
                if (c.Topic != topicName || !c.Retained)
                    continue;
                c.Retained = false;
                c.Withdrawn |= c.AckedMs is null;
                changed = true;
            }
            return changed;
        }
        if (!SignedCommands.TryRead(payload, out SignedCommand? command) || command.Fleet != Fleet)
            return Dropped(topicName, "malformed", "not a signed command of this fleet");
        Remember(command, topicName, retained, now);
        return true;
    }

    private void Remember(SignedCommand command, string topic, bool retained, long now)
    {
        if (_commands.TryGetValue(command.Id, out CommandRecord? held))
        {
            held.Retained |= retained;
            return;
        }
        if (_commands.Count >= MaxCommands)
        {
            CommandRecord oldest = _commands.Values.OrderBy(c => State(c, now, Refusal(c)) == "pending" ? 1 : 0).ThenBy(c => c.SentMs).First();
            _commands.Remove(oldest.Signed.Id);
        }
        var record = new CommandRecord(command, topic, now) { Retained = retained };
        // Acknowledged before this view saw the command (a view started after the device acted on it).
        if (_devices.TryGetValue(command.Command.Device, out DeviceRecord? device) && device.Status?.Acked?.Contains(command.Id) == true)
            record.AckedMs = now;
        _commands[command.Id] = record;
    }

    private DeviceRecord Device(string id)
    {
        if (!_devices.TryGetValue(id, out DeviceRecord? device))
            _devices[id] = device = new DeviceRecord();
        return device;
    }

    private bool Dropped(string topic, string reason, string why)
    {
        _drops[reason] = _drops.GetValueOrDefault(reason) + 1;
        if (_dropped.Count < MaxListedDrops || _dropped.ContainsKey(topic))
            _dropped[topic] = new FleetDroppedTopic(topic, reason, why);
        return true;
    }

    private sealed class DeviceRecord
    {
        public DeviceStatus? Status { get; set; }

        public DeviceHealth? Health { get; set; }

        public long LastSeenMs { get; set; }

        public Dictionary<string, FleetEntryView> Entries { get; } = new(StringComparer.Ordinal);
    }

    private sealed class CommandRecord(SignedCommand signed, string topic, long sentMs)
    {
        public SignedCommand Signed { get; } = signed;

        public string Topic { get; } = topic;

        public long SentMs { get; } = sentMs;

        public long? AckedMs { get; set; }

        public bool Retained { get; set; }

        public bool Clearing { get; set; }

        public bool Withdrawn { get; set; }
    }
}
