using EdgeCL.Core.Fleet;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Tests.Fleet;

public class FleetEntryFactoryTests
{
    private static readonly EmbeddingSpace Space = new("abc123", 2);

    [Fact]
    public void All_ClassesAndTombstones_OneEntryEachWithMemoryVersions()
    {
        var memory = new PrototypeMemory(Space);
        memory.Add("a", [1, 0]);
        memory.Add("a", [0, 1]);
        memory.Add("b", [1, 1]);
        memory.Forget("b");
        IReadOnlyList<FleetEntry> entries = FleetEntryFactory.All("dev", memory);
        Assert.Equal(["a", "b"], entries.Select(e => e.Label));
        Assert.Equal((2L, 2L), (entries[0].Version, entries[0].Count));
        Assert.Equal([0.5f, 0.5f], entries[0].Mean);
        Assert.True(entries[1].IsTombstone);
        Assert.Equal(2, entries[1].Version);
    }

    [Fact]
    public void Changes_AfterPublishing_OnlyNewerEntries()
    {
        var memory = new PrototypeMemory(Space);
        var known = new FleetState(Space);
        memory.Add("a", [1, 0]);
        memory.Add("b", [0, 1]);
        foreach (FleetEntry e in FleetEntryFactory.Changes("dev", memory, known))
            known.Merge(e);
        Assert.Empty(FleetEntryFactory.Changes("dev", memory, known));
        memory.Add("b", [0, 1]);
        memory.Forget("a");
        IReadOnlyList<FleetEntry> changes = FleetEntryFactory.Changes("dev", memory, known);
        Assert.Equal(["a", "b"], changes.Select(e => e.Label));
        Assert.True(changes[0].IsTombstone);
        Assert.All(changes, e => Assert.Equal(FleetMergeOutcome.Applied, known.Merge(e)));
    }

    [Fact]
    public void Changes_AfterClear_TombstonesForVanishedLabels()
    {
        var memory = new PrototypeMemory(Space);
        var known = new FleetState(Space);
        memory.Add("a", [1, 0]);
        known.Merge(FleetEntryFactory.ForLabel("dev", memory, "a"));
        known.Merge(new FleetEntry { SpaceId = Space.Id, DeviceId = "other", Label = "z", Version = 1, Count = 1, Mean = [1, 1] });
        memory.Clear();
        FleetEntry tombstone = Assert.Single(FleetEntryFactory.Changes("dev", memory, known));
        Assert.Equal(("a", 2L, true), (tombstone.Label, tombstone.Version, tombstone.IsTombstone));
    }

    [Fact]
    public void ForLabel_UnknownLabel_Throws()
    {
        Assert.Throws<ArgumentException>(() => FleetEntryFactory.ForLabel("dev", new PrototypeMemory(Space), "nope"));
    }

    [Fact]
    public void ForLabel_RelearnedAfterForget_VersionKeepsGrowing()
    {
        var memory = new PrototypeMemory(Space);
        memory.Add("a", [1, 0]);
        long v1 = FleetEntryFactory.ForLabel("dev", memory, "a").Version;
        memory.Forget("a");
        long v2 = FleetEntryFactory.ForLabel("dev", memory, "a").Version;
        memory.Add("a", [0, 1]);
        long v3 = FleetEntryFactory.ForLabel("dev", memory, "a").Version;
        Assert.True(v1 < v2 && v2 < v3);
    }
}
