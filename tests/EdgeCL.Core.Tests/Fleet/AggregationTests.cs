using CsCheck;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Fleet.Aggregation;
using static EdgeCL.Core.Tests.Fleet.FleetGen;

namespace EdgeCL.Core.Tests.Fleet;

public class AggregationTests
{
    private static readonly EntrySigner Agg1 = EntrySigner.Create("agg1");

    [Fact]
    public void Build_MeanIsTheStatesPrototypeBitForBit_AndDigestIgnoresArrivalOrder()
    {
        Gen.Select(Entries, Gen.Int).Sample((entries, seed) =>
        {
            FleetState state = StateOf(entries);
            FleetState shuffled = StateOf(entries.OrderBy(_ => new Random(seed).Next()).Reverse());
            float[] mean = new float[Space.Dimension];
            foreach (string label in state.Labels)
            {
                FleetAggregate a = FleetAggregation.Build(state, label, "agg1")!;
                FleetAggregate b = FleetAggregation.Build(shuffled, label, "agg2")!;
                Assert.Equal(0, FleetAggregation.Compare(a, b)); // same content whoever computed it
                bool live = state.TryGetPrototype(label, mean, out long count, out long version);
                Assert.Equal(version, a.VersionSum);
                Assert.Equal(live ? count : 0, a.Count);
                Assert.Equal(state.EntriesOf(label).Count, a.Contributors);
                if (live)
                    Assert.Equal(Bits(mean), Bits(a.Mean));
                else
                    Assert.Empty(a.Mean);
            }
        });
    }

    [Fact]
    public void View_FromAggregatesAndReceipts_EqualsTheDirectMergeBitForBit()
    {
        Entries.Sample(entries =>
        {
            FleetState direct = StateOf(entries);
            AggregateView view = ViewOf(direct, "d0", ["agg1", "agg2"]);
            AssertSameAsDirect(direct, view, expectExact: true);
        });
    }

    [Fact]
    public void View_OwnChangeNotYetAggregated_TakesOutTheIncludedVersionAndAddsTheNewOne()
    {
        FleetState fleet = StateOf([Live("d0", "c", 1, 2, 1, 0, 0), Live("d1", "c", 1, 6, 0, 1, 0)]);
        AggregateView view = ViewOf(fleet, "d0", ["agg1"]);
        FleetEntry newer = Live("d0", "c", 2, 4, 0, 0, 1);
        Assert.Equal(FleetMergeOutcome.Applied, view.MergeOwn(newer));

        fleet.Merge(newer);
        float[] expected = new float[3], seen = new float[3];
        Assert.True(fleet.TryGetPrototype("c", expected, out long count, out long version));
        Assert.True(view.TryGetPrototype("c", seen, out long viewCount, out long viewVersion, out AggregateViewSource source));
        Assert.Equal(AggregateViewSource.AggregateWithOwnChange, source);
        Assert.Equal((count, version), (viewCount, viewVersion));
        for (int j = 0; j < 3; j++)
            Assert.Equal(expected[j], seen[j], 6);

        // The aggregator catches up: aggregate and receipt name version 2, and the view is exact again.
        Publish(fleet, view, "agg1");
        Assert.True(view.TryGetPrototype("c", seen, out _, out _, out source));
        Assert.Equal(AggregateViewSource.Aggregate, source);
        Assert.Equal(Bits(expected), Bits(seen));
    }

    [Fact]
    public void View_AnotherDevicesChange_IsExactWithoutANewReceipt()
    {
        FleetState fleet = StateOf([Live("d0", "c", 1, 2, 1, 0, 0), Live("d1", "c", 1, 6, 0, 1, 0)]);
        AggregateView view = ViewOf(fleet, "d0", ["agg1"]);
        fleet.Merge(Live("d1", "c", 2, 3, 0, 0, 5));
        // Only the aggregate goes out: d0's included version did not change, so the aggregator sends it no receipt.
        Assert.Equal(FleetMergeOutcome.Applied, view.Merge(FleetAggregation.Build(fleet, "c", "agg1")!));
        AssertSameAsDirect(fleet, view, expectExact: true);
    }

    [Fact]
    public void View_NoAggregateYet_AnswersFromItsOwnEntry()
    {
        var view = new AggregateView(Space, "d0");
        view.MergeOwn(Live("d0", "c", 1, 2, 1, 2, 3));
        float[] seen = new float[3];
        Assert.True(view.TryGetPrototype("c", seen, out long count, out _, out AggregateViewSource source));
        Assert.Equal(AggregateViewSource.OwnOnly, source);
        Assert.Equal(2, count);
        Assert.Equal([1f, 2f, 3f], seen);
    }

    [Fact]
    public void Compare_KeepingTheMaximumOfPartialAggregates_EndsAtTheCompleteSet()
    {
        Gen.Select(Entries, Gen.Int).Sample((all, seed) =>
        {
            // Devices never reuse a version for other content (FleetDevice bumps it on every change); a device that does
            // is a conflict, which only the entry merge can order (docs/fleet-aggregation.md, "Limits").
            FleetEntry[] entries = [.. all.DistinctBy(e => (e.DeviceId, e.Label, e.Version))];
            FleetState complete = StateOf(entries);
            // What an aggregator publishes while entries trickle in, delivered in any order.
            var partial = new FleetState(Space);
            var published = new List<FleetAggregate>();
            foreach (FleetEntry e in entries)
            {
                partial.Merge(e);
                published.Add(FleetAggregation.Build(partial, e.Label, "agg1")!);
            }
            var view = new AggregateView(Space, "viewer");
            foreach (FleetAggregate a in published.OrderBy(_ => new Random(seed).Next()))
                view.Merge(a);
            foreach (string label in complete.Labels)
                Assert.Equal(0, FleetAggregation.Compare(view.Best(label)!, FleetAggregation.Build(complete, label, "agg1")!));
        });
    }

    [Fact]
    public void AggregateCodec_RoundTripsAndTheSignatureCoversEveryByte()
    {
        FleetState state = StateOf([Live("d0", "yes", 3, 2, 1, 2, 3), Live("d1", "yes", 1, 5, -1, 0.5f, 2), Tombstone("d2", "yes", 4)]);
        FleetAggregate aggregate = FleetAggregation.Build(state, "yes", "agg1")!;
        byte[] payload = FleetAggregateCodec.Encode(aggregate, Agg1);
        Assert.True(FleetAggregateCodec.TryDecode(payload, out FleetAggregate? decoded, out _));
        Assert.Equal(0, FleetAggregation.Compare(aggregate, decoded));
        Assert.Equal((aggregate.AggregatorId, aggregate.Label, aggregate.SpaceId), (decoded.AggregatorId, decoded.Label, decoded.SpaceId));
        using var trust = new TrustStore();
        trust.Add("agg1", Agg1.ExportPublicKeyPem());
        Assert.Equal(SignatureStatus.Valid, trust.VerifyPayload("agg1", payload));
        for (int i = 0; i < payload.Length; i++)
        {
            byte[] tampered = (byte[])payload.Clone();
            tampered[i] ^= 0x10;
            bool decodes = FleetAggregateCodec.TryDecode(tampered, out _, out _);
            Assert.True(!decodes || trust.VerifyPayload("agg1", tampered) != SignatureStatus.Valid,
                $"flipping byte {i} went unnoticed");
        }
        for (int n = 0; n < payload.Length; n++)
            Assert.False(FleetAggregateCodec.TryDecode(payload.AsSpan(0, n), out _, out _));
    }

    [Fact]
    public void ReceiptCodec_RoundTripsAndRefusesTruncationAndDisorder()
    {
        var receipt = new AggregateReceipt
        {
            SpaceId = Space.Id, AggregatorId = "agg1", DeviceId = "d0",
            Lines = [new("a", 7, 0x0102030405060708UL, 2), new("b", 3, 42, 3)],
        };
        byte[] payload = AggregateReceiptCodec.Encode(receipt, Agg1);
        Assert.True(AggregateReceiptCodec.TryDecode(payload, out AggregateReceipt? decoded, out _));
        Assert.Equal(receipt.Lines, decoded.Lines);
        for (int n = 0; n < payload.Length; n++)
            Assert.False(AggregateReceiptCodec.TryDecode(payload.AsSpan(0, n), out _, out _));
        Assert.Throws<ArgumentException>(() => AggregateReceiptCodec.Encode(receipt with { Lines = [.. receipt.Lines.Reverse()] }, Agg1));
    }

    [Fact]
    public void Audit_TellsMatchBehindAheadAndMismatch()
    {
        FleetState held = StateOf([Live("d0", "c", 1, 2, 1, 0, 0), Live("d1", "c", 1, 6, 0, 1, 0)]);
        FleetAggregate exact = FleetAggregation.Build(held, "c", "agg1")!;
        Assert.Equal(AggregateAuditVerdict.Match, FleetAggregation.Audit(exact, held).Verdict);

        FleetState newer = StateOf([.. held.Entries, Live("d1", "c", 2, 7, 0, 0, 1)]);
        Assert.Equal(AggregateAuditVerdict.Behind, FleetAggregation.Audit(exact, newer).Verdict);
        Assert.Equal(AggregateAuditVerdict.Ahead, FleetAggregation.Audit(FleetAggregation.Build(newer, "c", "agg1")!, held).Verdict);

        // Same versions, another mean: a forged or corrupted aggregate, signed or not.
        FleetAggregate forged = exact with { Mean = [0.5f, 0.5f, 0.5f] };
        AggregateAudit verdict = FleetAggregation.Audit(forged, held);
        Assert.Equal(AggregateAuditVerdict.Mismatch, verdict.Verdict);
        Assert.Contains("mean", verdict.Detail);
        Assert.Equal(AggregateAuditVerdict.Mismatch, FleetAggregation.Audit(exact with { Digest = new byte[32] }, held).Verdict);
    }

    [Fact]
    public void View_RefusesAnotherDevicesReceiptAndAWrongSizedAggregate()
    {
        var view = new AggregateView(Space, "d0");
        Assert.Equal(FleetMergeOutcome.Invalid, view.MergeReceipt(new AggregateReceipt { SpaceId = Space.Id, AggregatorId = "agg1", DeviceId = "d1", Lines = [] }));
        FleetAggregate a = FleetAggregation.Build(StateOf([Live("d1", "c", 1, 1, 1, 2, 3)]), "c", "agg1")!;
        Assert.Equal(FleetMergeOutcome.Invalid, view.Merge(a with { Mean = [1f, 2f] }));
        Assert.Equal(FleetMergeOutcome.Invalid, view.Merge(a with { Mean = [1f, float.NaN, 3f] }));
        Assert.Equal(0, view.AggregateCount);
    }

    /// <summary>A device's view of <paramref name="fleet"/> as aggregators would give it: every aggregate, its receipt, its own entries.</summary>
    private static AggregateView ViewOf(FleetState fleet, string device, string[] aggregators)
    {
        var view = new AggregateView(Space, device);
        foreach (FleetEntry e in fleet.Entries.Where(e => e.DeviceId == device))
            view.MergeOwn(e);
        foreach (string aggregator in aggregators)
            Publish(fleet, view, aggregator);
        return view;
    }

    private static void Publish(FleetState fleet, AggregateView view, string aggregator)
    {
        var lines = new List<AggregateReceiptLine>();
        foreach (string label in fleet.Labels)
        {
            FleetAggregate a = FleetAggregation.Build(fleet, label, aggregator)!;
            view.Merge(a);
            if (fleet.TryGetEntry(view.DeviceId, label, out FleetEntry? own))
                lines.Add(new AggregateReceiptLine(label, a.VersionSum, a.DigestPrefix, own.Version));
        }
        view.MergeReceipt(new AggregateReceipt { SpaceId = Space.Id, AggregatorId = aggregator, DeviceId = view.DeviceId, Lines = lines });
    }

    private static void AssertSameAsDirect(FleetState direct, AggregateView view, bool expectExact)
    {
        float[] a = new float[Space.Dimension], b = new float[Space.Dimension];
        Assert.Equal(direct.Labels, view.Labels);
        foreach (string label in direct.Labels)
        {
            bool liveA = direct.TryGetPrototype(label, a, out long countA, out long versionA);
            bool liveB = view.TryGetPrototype(label, b, out long countB, out long versionB, out AggregateViewSource source);
            Assert.Equal((liveA, versionA), (liveB, versionB));
            if (liveA)
            {
                Assert.Equal(countA, countB);
                Assert.Equal(Bits(a), Bits(b));
            }
            if (expectExact)
                Assert.Equal(AggregateViewSource.Aggregate, source);
        }
    }

    private static uint[] Bits(float[] v) => Array.ConvertAll(v, BitConverter.SingleToUInt32Bits);
}
