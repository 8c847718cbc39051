using CsCheck;
using EdgeCL.Core.Errors;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Serialization;
using EdgeCL.Core.Vectors;
using static EdgeCL.Core.Tests.Fleet.FleetGen;

namespace EdgeCL.Core.Tests.Fleet;

public class FleetStateTests
{
    [Fact]
    public void Merge_NewEntry_Applied()
    {
        var state = new FleetState(Space);
        Assert.Equal(FleetMergeOutcome.Applied, state.Merge(Live("d0", "yes", 1, 2, 1, 2, 3)));
        Assert.Equal(1, state.EntryCount);
        Assert.True(state.TryGetEntry("d0", "yes", out FleetEntry? held));
        Assert.Equal([1f, 2f, 3f], held.Mean);
    }

    [Fact]
    public void Merge_SameEntryTwice_Duplicate()
    {
        var state = new FleetState(Space);
        state.Merge(Live("d0", "yes", 1, 2, 1, 2, 3));
        Assert.Equal(FleetMergeOutcome.Duplicate, state.Merge(Live("d0", "yes", 1, 2, 1, 2, 3)));
        Assert.Equal(0, state.ConflictCount);
    }

    [Fact]
    public void Merge_OlderVersion_StaleAndUnchanged()
    {
        var state = new FleetState(Space);
        state.Merge(Live("d0", "yes", 5, 2, 1, 2, 3));
        Assert.Equal(FleetMergeOutcome.Stale, state.Merge(Live("d0", "yes", 4, 9, 9, 9, 9)));
        Assert.True(state.TryGetEntry("d0", "yes", out FleetEntry? held));
        Assert.Equal(5, held.Version);
    }

    [Fact]
    public void Merge_SameVersionDifferentContent_ConflictCountedAndDeterministic()
    {
        FleetEntry a = Live("d0", "yes", 3, 2, 1, 2, 3);
        FleetEntry b = Live("d0", "yes", 3, 2, 1, 2, 4);
        var ab = new FleetState(Space);
        ab.Merge(a);
        Assert.Equal(FleetMergeOutcome.Conflict, ab.Merge(b));
        var ba = new FleetState(Space);
        ba.Merge(b);
        Assert.Equal(FleetMergeOutcome.Conflict, ba.Merge(a));
        Assert.Equal(1, ab.ConflictCount);
        Assert.True(ab.ContentEquals(ba));
        Assert.True(ab.TryGetEntry("d0", "yes", out FleetEntry? held));
        Assert.Equal(4f, held.Mean[2]); // larger bits win
    }

    [Fact]
    public void Merge_TombstoneAtSameVersionAsLive_TombstoneWins()
    {
        var state = new FleetState(Space);
        state.Merge(Tombstone("d0", "yes", 3));
        Assert.Equal(FleetMergeOutcome.Conflict, state.Merge(Live("d0", "yes", 3, 2, 1, 2, 3)));
        Assert.True(state.TryGetEntry("d0", "yes", out FleetEntry? held));
        Assert.True(held.IsTombstone);
    }

    [Fact]
    public void Merge_OtherSpace_WrongSpaceAndUntouched()
    {
        var state = new FleetState(Space);
        Assert.Equal(FleetMergeOutcome.WrongSpace, state.Merge(Live("d0", "yes", 1, 1, 1, 2, 3) with { SpaceId = "abcdef" }));
        Assert.Equal(0, state.EntryCount);
    }

    public static TheoryData<string, FleetEntry> InvalidEntries => new()
    {
        { "NaN", Live("d0", "yes", 1, 1, 1, float.NaN, 3) },
        { "Inf", Live("d0", "yes", 1, 1, 1, float.PositiveInfinity, 3) },
        { "wrong dimension", Live("d0", "yes", 1, 1, 1, 2) },
        { "negative count", Live("d0", "yes", 1, -1, 1, 2, 3) },
        { "count above 2^53", Live("d0", "yes", 1, (1L << 53) + 1, 1, 2, 3) },
        { "version 0", Live("d0", "yes", 0, 1, 1, 2, 3) },
        { "tombstone with mean", Live("d0", "yes", 1, 0, 1, 2, 3) },
        { "live without mean", Live("d0", "yes", 1, 1) },
        { "device with slash", Live("d/0", "yes", 1, 1, 1, 2, 3) },
        { "empty device", Live("", "yes", 1, 1, 1, 2, 3) },
        { "empty label", Live("d0", "", 1, 1, 1, 2, 3) },
        { "untrimmed label", Live("d0", " yes", 1, 1, 1, 2, 3) },
        { "control character", Live("d0", "y\nes", 1, 1, 1, 2, 3) },
        { "lone surrogate", Live("d0", "y\ud800s", 1, 1, 1, 2, 3) },
        { "null mean", Live("d0", "yes", 1, 1) with { Mean = null! } },
    };

    [Theory]
    [MemberData(nameof(InvalidEntries))]
    public void Merge_InvalidEntry_InvalidAndUntouched(string why, FleetEntry entry)
    {
        var state = new FleetState(Space);
        state.Merge(Live("d0", "yes", 1, 1, 0, 0, 0));
        Assert.True(FleetMergeOutcome.Invalid == state.Merge(entry), why);
        Assert.Equal(1, state.EntryCount);
        Assert.True(state.TryGetEntry("d0", "yes", out FleetEntry? held));
        Assert.Equal(1, held.Version);
    }

    [Fact]
    public void Merge_CallerMutatesMeanAfterwards_StateKeepsItsCopy()
    {
        FleetEntry e = Live("d0", "yes", 1, 1, 1, 2, 3);
        var state = new FleetState(Space);
        state.Merge(e);
        e.Mean[0] = 99;
        state.TryGetEntry("d0", "yes", out FleetEntry? held);
        Assert.Equal(1f, held!.Mean[0]);
    }

    [Fact]
    public void MergeState_OtherSpace_Throws()
    {
        var state = new FleetState(Space);
        Assert.Throws<EmbeddingException>(() => state.Merge(new FleetState(new EmbeddingSpace("abcdef", 3))));
    }

    [Fact]
    public void MergeState_TwoStatesEitherOrder_SameState()
    {
        Gen.Select(Entries, Entries).Sample((a, b) =>
            Merged(StateOf(a), StateOf(b)).ContentEquals(Merged(StateOf(b), StateOf(a))), iter: 2000);
    }

    [Fact]
    public void MergeState_ThreeStatesEitherGrouping_SameState()
    {
        Gen.Select(Entries, Entries, Entries).Sample((a, b, c) =>
        {
            FleetState left = StateOf(a);
            left.Merge(Merged(StateOf(b), StateOf(c)));
            FleetState right = Merged(StateOf(a), StateOf(b));
            right.Merge(StateOf(c));
            return left.ContentEquals(right);
        }, iter: 2000);
    }

    [Fact]
    public void MergeState_WithItselfOrACopy_Unchanged()
    {
        Entries.Sample(a =>
        {
            FleetState s = StateOf(a);
            FleetState copy = StateOf(a);
            return s.Merge(copy) == 0 && s.Merge(s) == 0 && s.ContentEquals(StateOf(a));
        }, iter: 2000);
    }

    [Fact]
    public void Merge_AnyOrderDuplicationOrReplay_SameStateAndPrototypes()
    {
        // Deliver the same entries shuffled, with every entry possibly repeated, plus a full replay at the end.
        Gen.Select(Entries, Gen.Int[0, int.MaxValue]).Sample((entries, seed) =>
        {
            var rng = new Random(seed);
            var delivery = new List<FleetEntry>();
            foreach (FleetEntry e in entries)
                for (int k = rng.Next(1, 4); k > 0; k--)
                    delivery.Add(e);
            rng.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(delivery));
            delivery.AddRange(entries);
            FleetState reference = StateOf(entries);
            FleetState delivered = StateOf(delivery);
            if (!reference.ContentEquals(delivered))
                return false;
            // Prototypes are bit-identical, not merely close.
            return PrototypeMemorySerializer.Serialize(reference.ToPrototypeMemory())
                .AsSpan().SequenceEqual(PrototypeMemorySerializer.Serialize(delivered.ToPrototypeMemory()));
        }, iter: 2000);
    }

    [Fact]
    public void TryGetPrototype_MergedDevices_EqualsCentralisedMeanOfAllExamples()
    {
        // Examples of a few classes split over devices; each device learns with its own PrototypeMemory (float running
        // mean), publishes its entries, the fleet merges them; the result matches the mean of all examples in double.
        var gen = Gen.Select(Gen.Int[1, 6], Gen.Int[1, 200], Gen.Int[0, int.MaxValue]);
        gen.Sample((devices, examples, seed) =>
        {
            const int d = 16;
            var space = new EmbeddingSpace("c0ffee", d);
            var rng = new Random(seed);
            var memories = new PrototypeMemory[devices];
            for (int i = 0; i < devices; i++)
                memories[i] = new PrototypeMemory(space);
            var sums = new Dictionary<string, double[]>();
            var counts = new Dictionary<string, int>();
            for (int n = 0; n < examples; n++)
            {
                string label = $"c{rng.Next(4)}";
                float[] x = TestVectors.Random(rng, d, scale: 1f, offset: 0.5f);
                memories[rng.Next(devices)].Add(label, x);
                if (!sums.TryGetValue(label, out double[]? s))
                    sums[label] = s = new double[d];
                for (int j = 0; j < d; j++)
                    s[j] += x[j];
                counts[label] = counts.GetValueOrDefault(label) + 1;
            }
            var fleet = new FleetState(space);
            for (int i = 0; i < devices; i++)
                foreach (FleetEntry e in FleetEntryFactory.All($"dev{i}", memories[i]))
                    Assert.Equal(FleetMergeOutcome.Applied, fleet.Merge(e));
            var mean = new float[d];
            foreach (var (label, sum) in sums)
            {
                Assert.True(fleet.TryGetPrototype(label, mean, out long count, out _));
                Assert.Equal(counts[label], count);
                for (int j = 0; j < d; j++)
                    Assert.True(Math.Abs(mean[j] - sum[j] / count) <= 1e-5, $"{label}[{j}]: {mean[j]} vs {sum[j] / count}");
            }
        }, iter: 300);
    }

    [Fact]
    public void TryGetPrototype_DeviceTombstone_RemovesOnlyThatDevice()
    {
        var state = new FleetState(Space);
        state.Merge(Live("d0", "yes", 1, 1, 1, 1, 1));
        state.Merge(Live("d1", "yes", 1, 3, 5, 5, 5));
        var mean = new float[3];
        Assert.True(state.TryGetPrototype("yes", mean, out long count, out _));
        Assert.Equal(4, count);
        Assert.Equal(4f, mean[0]);
        state.Merge(Tombstone("d1", "yes", 2));
        Assert.True(state.TryGetPrototype("yes", mean, out count, out long version));
        Assert.Equal(1, count);
        Assert.Equal(1f, mean[0]);
        Assert.Equal(3, version);
        state.Merge(Tombstone("d0", "yes", 2));
        Assert.False(state.TryGetPrototype("yes", mean, out _, out _));
    }

    [Fact]
    public void ToPrototypeMemory_Classes_CountSumAndVersionSum()
    {
        var state = new FleetState(Space);
        state.Merge(Live("d0", "yes", 4, 1, 1, 0, 0));
        state.Merge(Live("d1", "yes", 7, 3, 0, 1, 0));
        state.Merge(Tombstone("d2", "yes", 2));
        state.Merge(Tombstone("d0", "gone", 5));
        PrototypeMemory memory = state.ToPrototypeMemory(new PrototypeMemoryOptions { Centring = CentringMode.None });
        Assert.Equal(1, memory.ClassCount);
        ClassSummary yes = memory.SummaryAt(memory.IndexOf("yes"));
        Assert.Equal(4, yes.Count);
        Assert.Equal(13, yes.Version);
        Assert.Equal([0.25f, 0.75f, 0f], memory.MeanAt(0).ToArray());
        Assert.Equal(5, memory.Tombstones["gone"]);
        Assert.Equal("yes", memory.Predict([0.2f, 0.8f, 0f]).Label);
    }

    [Fact]
    public void ToPrototypeMemory_LabelLongerThanOption_ThrowsNamingTheOption()
    {
        var state = new FleetState(Space);
        state.Merge(Live("d0", new string('x', 40), 1, 1, 1, 0, 0));
        var ex = Assert.Throws<ArgumentException>(() => state.ToPrototypeMemory(new PrototypeMemoryOptions { MaxLabelLength = 8 }));
        Assert.Contains("MaxLabelLength", ex.Message);
    }
}
