using EdgeCL.Core.Fleet;
using EdgeCL.Core.Rollout;
using EdgeCL.Core.Vectors;
using EdgeCL.Sync.Operator;

namespace EdgeCL.Sync.Tests.Unit;

/// <summary>What <see cref="ClassCarry.Plan"/> carries: the gone devices' contributions, merged exactly and mapped; the
/// carrier's own old entry too; nothing twice.</summary>
public sealed class ClassCarryTests
{
    private static readonly EmbeddingSpace Old = new("a1", 4), New = new("b2", 4);

    // y = x + (1, 0, 0, 0): a map Procrustes recovers exactly.
    private static SpaceMap Map()
    {
        var random = new Random(3);
        float[] x = [.. Enumerable.Range(0, 40).Select(_ => (float)random.NextDouble())];
        float[] y = [.. x.Select((v, i) => i % 4 == 0 ? v + 1 : v)];
        return SpaceMap.Fit(Old, New, x, y);
    }

    private static FleetEntry Entry(EmbeddingSpace space, string device, string label, long count, params float[] mean) =>
        new() { SpaceId = space.Id, DeviceId = device, Label = label, Version = 1, Count = count, Mean = mean };

    [Fact]
    public void Plan_CarriesTheCarriersOwnOldEntryOnWithTheGoneDevices_AndNothingTheSecondTime()
    {
        var old = new FleetState(Old);
        old.Merge(Entry(Old, "carrier", "x", 2, 1, 1, 1, 1)); // carried into the old space by an earlier rollout
        old.Merge(Entry(Old, "gone", "x", 1, 4, 4, 4, 4));
        old.Merge(Entry(Old, "moved", "x", 5, 9, 9, 9, 9));
        var current = new FleetState(New);
        current.Merge(Entry(New, "moved", "x", 5, 0, 0, 0, 0));

        CarryPlan plan = ClassCarry.Plan(old, current, Map(), "carrier", new HashSet<string>());
        CarriedClass carried = Assert.Single(plan.Carried);
        Assert.Equal(["carrier", "gone"], carried.Devices);
        Assert.Equal(3, carried.Entry.Count);
        float[] expected = [3, 2, 2, 2]; // (2·1 + 1·4) / 3 = 2, then x + (1, 0, 0, 0)
        for (int j = 0; j < 4; j++)
            Assert.Equal(expected[j], carried.Entry.Mean[j], 4);
        Assert.Empty(plan.Held);

        current.Merge(carried.Entry);
        Assert.Empty(ClassCarry.Plan(old, current, Map(), "carrier", new HashSet<string>()).Carried);
    }

    [Fact]
    public void Plan_LeavesAClassToADeviceThatStillRunsTheOldSpace_AndRefusesAMapOfOtherSpaces()
    {
        var old = new FleetState(Old);
        old.Merge(Entry(Old, "gone", "x", 1, 4, 4, 4, 4));
        old.Merge(Entry(Old, "offline", "x", 1, 2, 2, 2, 2));
        CarryPlan plan = ClassCarry.Plan(old, new FleetState(New), Map(), "carrier", new HashSet<string> { "offline" });
        Assert.Empty(plan.Carried);
        Assert.Equal(["gone", "offline"], Assert.Single(plan.Held).Devices);
        Assert.Throws<ArgumentException>(() => ClassCarry.Plan(new FleetState(new EmbeddingSpace("c3", 4)), new FleetState(New), Map(), "carrier", new HashSet<string>()));
    }
}
