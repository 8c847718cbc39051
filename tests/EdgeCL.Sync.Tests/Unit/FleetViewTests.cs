using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Commands;
using EdgeCL.Sync.Operator;
using EdgeCL.Sync.Status;
using EdgeCL.Sync.Tests.Integration;
using EdgeCL.Sync.Topics;

namespace EdgeCL.Sync.Tests.Unit;

/// <summary>The operator's view: devices and classes from retained topics, and a command's life (pending, done, expired, withdrawn).</summary>
public sealed class FleetViewTests
{
    private readonly MovableTime _time = new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));

    private SignedCommand Command(string device, FleetCommandKind kind = FleetCommandKind.ResetAdaptation) =>
        SignedCommands.Create(new FleetCommand(kind, device), "fleet1", TestKeys.Operator, _time.GetUtcNow().AddMinutes(5));

    private static byte[] Status(bool online, params string[] acked) =>
        new DeviceStatus { Online = online, Space = "a1a1", Session = 1, TimeMs = 1, UpdatedMs = 2, Acked = acked.Length == 0 ? null : acked }.ToPayload();

    [Fact]
    public void Entries_in_a_bundle_show_as_on_their_own_topics_and_a_bad_one_is_counted()
    {
        var view = new FleetView("fleet1", TestKeys.TrustAll(), time: _time);
        FleetEntry Entry(string label, long version) => new() { SpaceId = "a1a1", DeviceId = "d0", Label = label, Version = version, Count = 2, Mean = new float[8] };
        string topic = FleetTopics.PrototypeBundle("fleet1", "a1a1", "d0", snapshot: true, 0);
        view.Apply(topic, FleetBundleCodec.Encode([TestKeys.Codec("d0").Encode(Entry("cat", 1)), TestKeys.Codec("d0").Encode(Entry("dog", 3))]), retained: true);
        FleetDeviceView device = view.Snapshot().Devices.Single();
        Assert.Equal(["cat", "dog"], device.Entries.Select(e => e.Label));
        Assert.All(device.Entries, e => Assert.Equal("valid", e.Signature));
        Assert.Equal(3, device.Entries.Single(e => e.Label == "dog").Version);

        // An entry of another device inside d0's bundle is forged; a part that is not a bundle is malformed.
        view.Apply(topic, FleetBundleCodec.Encode([TestKeys.Codec("d1").Encode(Entry("cow", 1) with { DeviceId = "d1" })]), retained: false);
        view.Apply(FleetTopics.PrototypeBundle("fleet1", "a1a1", "d0", snapshot: false, 0), [1, 2, 3], retained: false);
        FleetSnapshot after = view.Snapshot();
        Assert.Equal(["cat", "dog"], after.Devices.Single().Entries.Select(e => e.Label));
        Assert.Equal(1, after.Drops.GetValueOrDefault("forged"));
        Assert.Equal(1, after.Drops.GetValueOrDefault("malformed"));
    }

    [Fact]
    public void A_command_is_pending_until_its_device_acknowledges_it_then_done_and_cleared()
    {
        var view = new FleetView("fleet1", time: _time);
        SignedCommand sent = Command("d0");
        view.Sent(sent, retained: true);
        Assert.Equal("pending", view.Snapshot().Commands.Single().State);
        Assert.Empty(view.CommandsToClear());
        view.Apply(FleetTopics.Status("fleet1", "d1"), Status(true, sent.Id), retained: false); // another device's ack does not count
        Assert.Equal("pending", view.Snapshot().Commands.Single().State);

        view.Apply(FleetTopics.Status("fleet1", "d0"), Status(true, sent.Id), retained: false);
        Assert.Equal("done", view.Snapshot().Commands.Single().State);
        Assert.Equal([sent.Topic], view.CommandsToClear());
        view.Clearing(sent.Topic);
        Assert.Empty(view.CommandsToClear());
        view.Apply(sent.Topic, [], retained: false); // the broker's echo of the clear
        FleetCommandView done = view.Snapshot().Commands.Single();
        Assert.Equal(("done", false), (done.State, done.Retained));
        view.Apply(FleetTopics.Status("fleet1", "d0"), Status(false), retained: false); // a will without the ack: still done
        Assert.Equal("done", view.Snapshot().Commands.Single().State);
    }

    [Fact]
    public void A_command_the_device_refused_shows_as_refused_with_its_reason()
    {
        var view = new FleetView("fleet1", time: _time);
        SignedCommand sent = Command("d0", FleetCommandKind.Rebirth), other = Command("d0");
        view.Sent(sent, retained: true);
        view.Sent(other, retained: true);
        byte[] status = new DeviceStatus
        {
            Online = true, Space = "a1a1", Session = 1, TimeMs = 1, UpdatedMs = 2, Acked = [sent.Id, other.Id],
            Health = new DeviceHealth { Refused = new Dictionary<string, string> { [sent.Id] = "backbone 'nope' is not under models_root" } },
        }.ToPayload();
        view.Apply(FleetTopics.Status("fleet1", "d0"), status, retained: false);
        var commands = view.Snapshot().Commands.ToDictionary(c => c.Id);
        Assert.Equal(("refused", "backbone 'nope' is not under models_root"), (commands[sent.Id].State, commands[sent.Id].Why));
        Assert.Equal(("done", null), (commands[other.Id].State, commands[other.Id].Why));
        // Another device listing the id does not make this device's command refused.
        var view2 = new FleetView("fleet1", time: _time);
        view2.Sent(sent, retained: true);
        view2.Apply(FleetTopics.Status("fleet1", "d1"), status, retained: false);
        Assert.Equal("pending", view2.Snapshot().Commands.Single().State);
    }

    [Fact]
    public void A_retained_command_found_on_the_broker_is_read_and_one_acknowledged_before_the_view_started_is_done()
    {
        var view = new FleetView("fleet1", time: _time);
        SignedCommand old = Command("d0"), fresh = Command("d0", FleetCommandKind.Rebirth);
        view.Apply(FleetTopics.Status("fleet1", "d0"), Status(true, old.Id), retained: true);
        view.Apply(old.Topic, old.Payload, retained: true);
        view.Apply(fresh.Topic, fresh.Payload, retained: true);
        var states = view.Snapshot().Commands.ToDictionary(c => c.Id, c => (c.State, c.Command, c.Operator));
        Assert.Equal(("done", "reset_adaptation", "operator-key"), states[old.Id]);
        Assert.Equal(("pending", "rebirth", "operator-key"), states[fresh.Id]);
        Assert.Equal([old.Topic], view.CommandsToClear());
    }

    [Fact]
    public void Unacknowledged_commands_expire_or_are_withdrawn_and_junk_is_counted()
    {
        var view = new FleetView("fleet1", time: _time);
        SignedCommand late = Command("d0"), cleared = Command("d1");
        view.Sent(late, retained: true);
        view.Sent(cleared, retained: true);
        view.Apply(cleared.Topic, [], retained: false);
        _time.Advance(TimeSpan.FromMinutes(6));
        var states = view.Snapshot().Commands.ToDictionary(c => c.Id, c => c.State);
        Assert.Equal("expired", states[late.Id]);
        Assert.Equal("withdrawn", states[cleared.Id]);

        view.Apply(FleetTopics.Command("fleet1", "d0", "0123456789abcdef"), "not a command"u8, retained: true);
        view.Apply("edgecl/v1/other/status/d0", Status(true), retained: true);
        FleetSnapshot snapshot = view.Snapshot();
        Assert.Equal(2, snapshot.Drops["malformed"]);
        Assert.Equal(2, snapshot.Dropped.Count);
        Assert.Empty(snapshot.Devices);
    }

    [Fact]
    public void Classes_across_the_fleet_list_contributors_and_forgetters_and_a_cleared_status_keeps_the_entries()
    {
        var view = new FleetView("fleet1", time: _time);
        void Entry(string device, string label, long version, long count)
        {
            var entry = new FleetEntry { SpaceId = "a1a1", DeviceId = device, Label = label, Version = version, Count = count, Mean = count == 0 ? [] : [1f, 0f, 0f, 0f] };
            Assert.True(view.Apply(FleetTopics.Prototype("fleet1", "a1a1", device, label), TestKeys.Codec(device).Encode(entry), retained: true));
        }
        Entry("d0", "cat", 1, 3);
        Entry("d1", "cat", 2, 5);
        Entry("d2", "cat", 3, 0); // forgotten on d2
        view.Apply(FleetTopics.Status("fleet1", "d0"), Status(true), retained: true);
        FleetLabelView cat = view.Snapshot().Classes.Single();
        Assert.Equal(8, cat.Count);
        Assert.Equal(["d0", "d1"], cat.Devices.Select(d => d.Device));
        Assert.Equal(["d2"], cat.ForgottenBy);
        Assert.True(view.Snapshot().Devices.Single(d => d.Device == "d0").Online);

        view.Apply(FleetTopics.Status("fleet1", "d0"), [], retained: false);
        FleetDeviceView d0 = view.Snapshot().Devices.Single(d => d.Device == "d0");
        Assert.Null(d0.Online);
        Assert.Single(d0.Entries);
    }

    private sealed class MovableTime(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;

        public void Advance(TimeSpan by) => _now += by;

        public override DateTimeOffset GetUtcNow() => _now;
    }
}
