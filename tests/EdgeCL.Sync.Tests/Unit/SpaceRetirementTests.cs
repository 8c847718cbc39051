using EdgeCL.Sync.Operator;

namespace EdgeCL.Sync.Tests.Unit;

/// <summary>Which spaces <c>fleet rollout --retire</c> considers, and which classes retiring one would lose: those whose
/// only live entries are in it.</summary>
public sealed class SpaceRetirementTests
{
    private static FleetEntryView Entry(string space, string label, bool tombstone = false) =>
        new(space, label, 1, tombstone ? 0 : 3, tombstone ? 0 : 4, tombstone, 40, "unchecked", 0);

    private static FleetDeviceView Device(string id, string? space, params FleetEntryView[] entries) =>
        new(id, space is null ? null : true, 1, space, 0, null, entries);

    private static FleetSnapshot Snapshot(params FleetDeviceView[] devices) => new("f", false, devices, [], [], new Dictionary<string, long>(), []);

    [Fact]
    public void ClassesOnlyIn_NamesWhatLivesNowhereElse_AndWhoHoldsIt()
    {
        FleetSnapshot fleet = Snapshot(
            Device("moved", "new", Entry("old", "left"), Entry("old", "up"), Entry("new", "left"), Entry("new", "up")),
            Device("gone-1", null, Entry("old", "right"), Entry("old", "stop")),
            Device("gone-2", null, Entry("old", "right"), Entry("old", "down", tombstone: true), Entry("old", "up")),
            // A space nobody runs does not keep a class alive.
            Device("stray", null, Entry("other", "stop")));
        var lost = SpaceRetirement.ClassesOnlyIn(fleet, "old");
        Assert.Equal(["right", "stop"], lost.Select(c => c.Label));
        Assert.Equal(["gone-1", "gone-2"], lost[0].Devices);
        Assert.Equal("'right' (gone-1, gone-2), 'stop' (gone-1)", SpaceRetirement.Describe(lost));
        Assert.Equal("'right' (gone-1, gone-2) and 1 more", SpaceRetirement.Describe(lost, shown: 1));
        // Once a running device holds them in its space, nothing is lost.
        Assert.Empty(SpaceRetirement.ClassesOnlyIn(Snapshot(
            Device("moved", "new", Entry("old", "right"), Entry("new", "right"), Entry("new", "stop")),
            Device("gone-1", null, Entry("old", "right"), Entry("old", "stop"))), "old"));
    }

    [Fact]
    public void ASpaceIsRetirable_OnceItsGoneDevicesAreDecommissioned_AndTheirClassesCarried()
    {
        // Before: the gone devices' last statuses still name the old space, and "right" lives only there.
        FleetSnapshot before = Snapshot(
            Device("moved", "new", Entry("old", "left"), Entry("new", "left")),
            Device("gone-1", "old", Entry("old", "right")),
            Device("gone-2", "old", Entry("old", "right")));
        Assert.Equal(["gone-1", "gone-2"], SpaceRetirement.RunBy(before, "old"));
        Assert.Equal(["right"], SpaceRetirement.ClassesOnlyIn(before, "old").Select(c => c.Label));
        // After `fleet decommission` (no status) and `fleet carry` (the carrier's entry in the new space, no status of its
        // own): nobody runs the old space and nothing lives only there.
        FleetSnapshot after = Snapshot(
            Device("moved", "new", Entry("old", "left"), Entry("new", "left")),
            Device("gone-1", null, Entry("old", "right")),
            Device("gone-2", null, Entry("old", "right")),
            Device("carrier", null, Entry("new", "right")));
        Assert.Empty(SpaceRetirement.RunBy(after, "old"));
        Assert.Empty(SpaceRetirement.ClassesOnlyIn(after, "old"));
        Assert.Equal(["old"], SpaceRetirement.Candidates(after, []));
    }

    [Fact]
    public void Candidates_AreTheSpacesLeft_ThenSpacesWithEntriesNoDeviceRuns()
    {
        FleetSnapshot fleet = Snapshot(
            Device("a", "new", Entry("new", "x"), Entry("old", "x")),
            Device("b", "cams", Entry("cams", "y")),
            Device("gone", null, Entry("older", "z"), Entry("cams", "y")));
        Assert.Equal(["old", "older"], SpaceRetirement.Candidates(fleet, ["old", "old"]));
        Assert.Equal(["old", "older"], SpaceRetirement.Candidates(fleet, []));
        Assert.Equal(["b"], SpaceRetirement.RunBy(fleet, "cams"));
        Assert.Empty(SpaceRetirement.RunBy(fleet, "old"));
    }
}
