using EdgeCL.Sync.Operator;
using EdgeCL.Sync.Status;

namespace EdgeCL.Sync.Tests.Unit;

/// <summary>How <c>edgecl fleet rollout</c> reads the statuses: refused beats acknowledged, moved needs the device online on
/// the new backbone (or acknowledged in another space), and what a target that did not move is reported as.</summary>
public sealed class RolloutProgressTests
{
    private static FleetDeviceView View(string device, bool? online, string space, string model, IReadOnlyDictionary<string, string>? refused = null) =>
        new(device, online, 1, space, 0, new DeviceHealth { Model = model, Refused = refused }, []);

    private static FleetSnapshot Snapshot(FleetDeviceView[] devices, params string[] acked) =>
        new("f", false, devices, [], [.. acked.Select(id => new FleetCommandView(id, "d", "new_backbone", null, "ops", "done", 0, 0, 0, false))],
            new Dictionary<string, long>(), []);

    [Fact]
    public void Each_target_moves_refuses_or_stays_as_its_status_says()
    {
        var progress = new RolloutProgress("tiny2");
        Assert.Equal(RolloutState.Moved, progress.Add("a", View("a", true, "s2", "tiny2")).State); // already on it
        progress.Add("b", View("b", true, "s1", "tiny"));
        progress.Add("c", View("c", true, "s1", "tiny"));
        progress.Add("d", null);
        progress.Sent("b", "idb");
        progress.Sent("c", "idc");
        progress.Sent("d", "idd");

        // b acknowledged but still in s1 (restarting); c acknowledged and refused in the same status.
        FleetDeviceView[] first = [View("b", true, "s1", "tiny"), View("c", true, "s1", "tiny", new Dictionary<string, string> { ["idc"] = "not installed" })];
        var changed = progress.Update(Snapshot(first, "idb", "idc"));
        Assert.Equal([("b", RolloutState.Acknowledged), ("c", RolloutState.Refused)], changed.Select(r => (r.Device, r.State)));
        Assert.False(progress.Finished);

        // b back online in the new space: moved; a second identical update changes nothing.
        FleetDeviceView[] second = [View("b", true, "s2", "tiny2"), first[1]];
        Assert.Equal(("b", RolloutState.Moved, "s2"), progress.Update(Snapshot(second, "idb", "idc")).Select(r => (r.Device, r.State, r.NewSpace)).Single());
        Assert.Empty(progress.Update(Snapshot(second, "idb", "idc")));

        // An offline device in its old space has not moved, whatever its health said last.
        Assert.Empty(progress.Update(Snapshot([View("d", false, "s1", "tiny2")])));
        Assert.False(progress.AllMoved);
        DeviceRollout[] rows = [.. progress.Devices];
        Assert.Equal("moved", RolloutProgress.WhyNot(rows[0], null));
        Assert.Equal("refused: not installed", RolloutProgress.WhyNot(rows[2], first[1]));
        Assert.Equal("offline", RolloutProgress.WhyNot(rows[3], View("d", false, "s1", "tiny")));
        Assert.Equal("offline (never seen)", RolloutProgress.WhyNot(rows[3], null));
        Assert.Equal("timed out (no acknowledgement)", RolloutProgress.WhyNot(rows[3], View("d", true, "s1", "tiny")));
    }
}
