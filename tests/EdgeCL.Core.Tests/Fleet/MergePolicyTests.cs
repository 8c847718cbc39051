using CsCheck;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Fleet.Aggregation;
using static EdgeCL.Core.Tests.Fleet.FleetGen;

namespace EdgeCL.Core.Tests.Fleet;

/// <summary>The per-device weight cap (<see cref="FleetMergePolicy"/>): exact, order-independent, carried by aggregates, refused when mixed.</summary>
public class MergePolicyTests
{
    private static readonly EntrySigner Agg1 = EntrySigner.Create("agg1");
    // Caps 0..3 and norm bounds 0, 0.3, 0.6 over FleetGen's counts 1..3 and means of norm up to 1.3: every bound binds somewhere.
    private static readonly Gen<FleetMergePolicy> Policies = Gen.Select(Gen.Int[0, 3], Gen.Int[0, 2]).Select((cap, norm) => FleetMergePolicy.Capped(cap, norm * 0.3f));

    [Fact]
    public void Cap_WeighsEachDeviceAtMostTheCap_SoAHugeClaimCannotDominate()
    {
        FleetEntry honest = Live("d0", "c", 1, 4, 1, 0, 0), liar = Live("d1", "c", 1, 1_000_000, 0, 1, 0);
        float[] mean = new float[3];

        Assert.True(StateOf([honest, liar]).TryGetPrototype("c", mean, out long count, out _));
        Assert.Equal(1_000_004, count);
        Assert.True(mean[1] > 0.99f, "count weighting: the liar's vector wins");

        FleetState capped = Capped(4, [honest, liar]);
        Assert.True(capped.TryGetPrototype("c", mean, out count, out long version));
        Assert.Equal((8L, 2L), (count, version)); // weights min(4, 4) + min(10^6, 4); versions as before
        Assert.Equal([0.5f, 0.5f, 0f], mean);
    }

    [Fact]
    public void NormBound_ShrinksAnInflatedMean_AndLeavesShorterOnesAlone()
    {
        FleetEntry honest = Live("d0", "c", 1, 2, 0.6f, 0, 0), inflated = Live("d1", "c", 1, 2, 0, 1000, 0);
        float[] mean = new float[3];
        Assert.True(Capped(FleetMergePolicy.Capped(0, 1f), [honest, inflated]).TryGetPrototype("c", mean, out long count, out _));
        Assert.Equal(4, count); // the bound changes vectors, not weights
        Assert.Equal([0.3f, 0.5f, 0f], mean);
        Assert.True(Capped(FleetMergePolicy.Capped(0, 1f), [honest]).TryGetPrototype("c", mean, out _, out _));
        Assert.Equal([0.6f, 0f, 0f], mean);
    }

    [Fact]
    public void CapAboveEveryCount_IsTheCountWeightedMeanBitForBit()
    {
        Entries.Sample(entries =>
        {
            FleetState plain = StateOf(entries), capped = Capped(FleetLimits.MaxCount, entries);
            foreach (string label in plain.Labels)
                Assert.Equal(Read(plain, label), Read(capped, label));
        });
    }

    [Fact]
    public void Capped_ReadIsIndependentOfArrivalOrderAndDuplicates()
    {
        Gen.Select(Entries, Policies, Gen.Int).Sample((entries, policy, seed) =>
        {
            var random = new Random(seed);
            FleetState a = Capped(policy, entries);
            FleetState b = Capped(policy, [.. entries.Concat(entries).OrderBy(_ => random.Next())]);
            b.Merge(a); // idempotent: merging what it already holds changes nothing
            foreach (string label in a.Labels)
                Assert.Equal(Read(a, label), Read(b, label));
        });
    }

    [Fact]
    public void CappedAggregate_EqualsTheCappedDirectMergeBitForBit_AndRoundTripsItsPolicy()
    {
        Gen.Select(Entries, Policies).Sample((entries, policy) =>
        {
            FleetState direct = Capped(policy, entries);
            var view = new AggregateView(Space, "d0", policy);
            foreach (FleetEntry e in direct.Entries.Where(e => e.DeviceId == "d0"))
                view.MergeOwn(e);
            var lines = new List<AggregateReceiptLine>();
            foreach (string label in direct.Labels)
            {
                FleetAggregate built = FleetAggregation.Build(direct, label, "agg1")!;
                Assert.Equal(policy, built.Policy);
                Assert.True(FleetAggregateCodec.TryDecode(FleetAggregateCodec.Encode(built, Agg1), out FleetAggregate? a, out _));
                Assert.Equal(0, FleetAggregation.Compare(built, a));
                Assert.Equal(AggregateAuditVerdict.Match, FleetAggregation.Audit(a, direct).Verdict);
                Assert.Equal(FleetMergeOutcome.Applied, view.Merge(a));
                if (direct.TryGetEntry("d0", label, out FleetEntry? own))
                    lines.Add(new AggregateReceiptLine(label, a.VersionSum, a.DigestPrefix, own.Version));
            }
            view.MergeReceipt(new AggregateReceipt { SpaceId = Space.Id, AggregatorId = "agg1", DeviceId = "d0", Lines = lines });
            float[] mean = new float[Space.Dimension];
            foreach (string label in direct.Labels)
            {
                bool live = view.TryGetPrototype(label, mean, out long count, out long version, out AggregateViewSource source);
                Assert.Equal(AggregateViewSource.Aggregate, source);
                Assert.Equal(Read(direct, label), (live, count, version, live ? Bits(mean) : ""));
            }
        });
    }

    [Fact]
    public void CappedView_OwnChangeNotYetAggregated_IsCombinedUnderTheCap()
    {
        FleetMergePolicy policy = FleetMergePolicy.Capped(3, 0.8f);
        FleetState fleet = Capped(policy, [Live("d0", "c", 1, 2, 1, 0, 0), Live("d1", "c", 1, 600, 0, 1, 0)]);
        var view = new AggregateView(Space, "d0", policy);
        view.MergeOwn(fleet.EntriesOf("c")[0]);
        FleetAggregate a = FleetAggregation.Build(fleet, "c", "agg1")!;
        view.Merge(a);
        view.MergeReceipt(new AggregateReceipt { SpaceId = Space.Id, AggregatorId = "agg1", DeviceId = "d0", Lines = [new("c", a.VersionSum, a.DigestPrefix, 1)] });

        FleetEntry newer = Live("d0", "c", 2, 50, 0, 0, 2); // weighs 3, not 50; shrunk to norm 0.8
        view.MergeOwn(newer);
        fleet.Merge(newer);
        float[] expected = new float[3], seen = new float[3];
        Assert.True(fleet.TryGetPrototype("c", expected, out long count, out long version));
        Assert.True(view.TryGetPrototype("c", seen, out long viewCount, out long viewVersion, out AggregateViewSource source));
        Assert.Equal(AggregateViewSource.AggregateWithOwnChange, source);
        Assert.Equal(6L, count); // weights min(50, 3) + min(600, 3)
        Assert.Equal((count, version), (viewCount, viewVersion));
        for (int j = 0; j < 3; j++)
            Assert.Equal(expected[j], seen[j], 6);
    }

    [Fact]
    public void View_RefusesAnAggregateBuiltUnderAnotherPolicy()
    {
        FleetEntry[] entries = [Live("d1", "c", 1, 5, 1, 2, 3)];
        FleetAggregate countWeighted = FleetAggregation.Build(StateOf(entries), "c", "agg1")!;
        FleetAggregate capped = FleetAggregation.Build(Capped(2, entries), "c", "agg1")!;
        var cappedView = new AggregateView(Space, "d0", FleetMergePolicy.Capped(2));
        Assert.Equal(FleetMergeOutcome.PolicyMismatch, cappedView.Merge(countWeighted));
        Assert.Equal(FleetMergeOutcome.PolicyMismatch, cappedView.Merge(capped with { Policy = FleetMergePolicy.Capped(3) }));
        Assert.Equal(0, cappedView.AggregateCount);
        Assert.Equal(FleetMergeOutcome.PolicyMismatch, new AggregateView(Space, "d0").Merge(capped));
        Assert.Equal(FleetMergeOutcome.Applied, cappedView.Merge(capped));
    }

    [Fact]
    public void Codec_CountWeightedStaysFormat1_CappedIsFormat2_AndABadPolicyDoesNotDecode()
    {
        FleetEntry[] entries = [Live("d0", "c", 3, 2, 1, 2, 3), Live("d1", "c", 2, 9, 0, 1, 0)];
        byte[] plain = FleetAggregateCodec.Encode(FleetAggregation.Build(StateOf(entries), "c", "agg1")!, Agg1);
        byte[] capped = FleetAggregateCodec.Encode(FleetAggregation.Build(Capped(4, entries), "c", "agg1")!, Agg1);
        Assert.Equal((1, 2), (plain[2], capped[2]));
        Assert.Equal(plain.Length + 2, capped.Length); // policy kind + varint cap
        for (int n = 0; n < capped.Length; n++)
            Assert.False(FleetAggregateCodec.TryDecode(capped.AsSpan(0, n), out _, out _));

        // The policy sits after the label: 4 header + 9 space id (16 hex digits) + 5 "agg1" + 2 "c".
        const int At = 4 + 9 + 5 + 2;
        Assert.Equal((1, 4), (capped[At], capped[At + 1]));
        Assert.Equal(FleetDecodeError.BadPolicy, Decode(capped, At, 4));     // an unknown policy flag
        Assert.Equal(FleetDecodeError.BadPolicy, Decode(capped, At, 0));     // no policy in a format-2 aggregate
        Assert.Equal(FleetDecodeError.BadPolicy, Decode(capped, At + 1, 0)); // cap 0 is not a capped aggregate
        Assert.Equal(FleetDecodeError.BadPolicy, Decode(capped, At + 1, 1)); // count 6 > 2 contributors x cap 1
        Assert.True(FleetAggregateCodec.TryDecode(capped, out FleetAggregate? decoded, out _));
        Assert.Equal((4L, 6L), (decoded.Policy.MaxExamplesPerDevice, decoded.Count)); // weights min(2, 4) + min(9, 4)

        // A norm bound travels as a float after the cap; a bound of 0, NaN or below 0 does not decode.
        byte[] bounded = FleetAggregateCodec.Encode(FleetAggregation.Build(Capped(FleetMergePolicy.Capped(4, 1.5f), entries), "c", "agg1")!, Agg1);
        Assert.Equal((3, capped.Length + 4), (bounded[At], bounded.Length));
        Assert.True(FleetAggregateCodec.TryDecode(bounded, out decoded, out _));
        Assert.Equal(FleetMergePolicy.Capped(4, 1.5f), decoded.Policy);
        foreach (float bad in new[] { 0f, -1f, float.NaN, float.PositiveInfinity })
        {
            byte[] changed = (byte[])bounded.Clone();
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(changed.AsSpan(At + 2), bad);
            Assert.False(FleetAggregateCodec.TryDecode(changed, out _, out FleetDecodeError error));
            Assert.Equal(FleetDecodeError.BadPolicy, error);
        }
    }

    [Fact]
    public void Policy_OutOfRangeIsRefusedWithOneLine()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FleetMergePolicy.Capped(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => FleetMergePolicy.Capped(FleetLimits.MaxCount + 1));
        var ex = Assert.Throws<ArgumentException>(() => new FleetState(Space, new FleetMergePolicy { MaxExamplesPerDevice = -5 }));
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Throws<ArgumentException>(() => new AggregateView(Space, "d0", new FleetMergePolicy { MaxMeanNorm = float.NaN }));
        Assert.Equal("cap 7, norm <= 2.5", FleetMergePolicy.Capped(7, 2.5f).ToString());
        Assert.Equal("count-weighted", FleetMergePolicy.CountWeighted.ToString());
        Assert.Equal("cap 7", FleetMergePolicy.Capped(7).ToString());
    }

    private static FleetDecodeError Decode(byte[] payload, int at, byte value)
    {
        byte[] changed = (byte[])payload.Clone();
        changed[at] = value;
        FleetAggregateCodec.TryDecode(changed, out _, out FleetDecodeError error);
        return error;
    }

    private static FleetState Capped(long cap, IEnumerable<FleetEntry> entries) => Capped(FleetMergePolicy.Capped(cap), entries);

    private static FleetState Capped(FleetMergePolicy policy, IEnumerable<FleetEntry> entries)
    {
        var state = new FleetState(Space, policy);
        foreach (FleetEntry e in entries)
            state.Merge(e);
        return state;
    }

    private static (bool Live, long Count, long Version, string Bits) Read(FleetState state, string label)
    {
        float[] mean = new float[Space.Dimension];
        bool live = state.TryGetPrototype(label, mean, out long count, out long version);
        return (live, count, version, live ? Bits(mean) : "");
    }

    private static string Bits(float[] v) => string.Join(",", Array.ConvertAll(v, x => BitConverter.SingleToUInt32Bits(x).ToString("x8")));
}
