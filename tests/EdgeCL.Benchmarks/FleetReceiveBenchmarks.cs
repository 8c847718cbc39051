using EdgeCL.Core.Fleet;
using EdgeCL.Core.Fleet.Aggregation;
using EdgeCL.Core.Fleet.Signing;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Benchmarks;

/// <summary>
/// A device in aggregate mode receiving one aggregator cycle of 100 classes in one bundle (docs/fleet-aggregation.md):
/// unpack, decode, verify and merge every aggregate; batch-signed as aggregators sign, against each signed alone.
/// </summary>
internal static class FleetReceiveBenchmarks
{
    private const int Classes = 100, Contributors = 1000, Dimension = 96;

    public static void Run()
    {
        Console.WriteLine($"== fleet receive: one bundle of {Classes} aggregates ({Contributors} contributors, {Dimension}-d) into a device's view (ratio = alone / batched)");
        var space = new EmbeddingSpace("0123456789abcdef", Dimension);
        var state = new FleetState(space);
        var random = new Random(5);
        for (int d = 0; d < Contributors; d++)
            for (int c = 0; c < Classes; c++)
                state.Merge(new FleetEntry { SpaceId = space.Id, DeviceId = $"d{d:D4}", Label = $"class-{c:D3}", Version = 1, Count = 2, Mean = KernelBenchmarks.Vector(random, Dimension) });
        using EntrySigner aggregator = EntrySigner.Create("agg-0");
        using var trust = new TrustStore();
        trust.Add("agg-0", aggregator.ExportPublicKeyPem());
        FleetAggregate[] aggregates = [.. Enumerable.Range(0, Classes).Select(c => FleetAggregation.Build(state, $"class-{c:D3}", "agg-0")!)];
        byte[] batched = FleetBundleCodec.Encode(SignedPayload.SignBatch([.. aggregates.Select(a => FleetAggregateCodec.EncodeBody(a, aggregator))], aggregator));
        byte[] alone = FleetBundleCodec.Encode([.. aggregates.Select(a => SignedPayload.Sign(FleetAggregateCodec.EncodeBody(a, aggregator), aggregator))]);
        Console.WriteLine($"  bundle: {batched.Length / 1024.0:F1} KiB batch-signed, {alone.Length / 1024.0:F1} KiB signed alone");
        // The aggregator's side of a cycle: each aggregate is the class's exact mean plus a digest of its contributions.
        float[] mean = new float[Dimension];
        Harness.Report(Harness.Compare($"build {Classes} aggregates (means + digests)", () =>
                {
                    for (int c = 0; c < Classes; c++)
                        FleetAggregation.Build(state, $"class-{c:D3}", "agg-0");
                },
                $"the {Classes} means alone", () =>
                {
                    for (int c = 0; c < Classes; c++)
                        state.TryGetPrototype($"class-{c:D3}", mean, out _, out _);
                }),
            "ratio", "the digests' share: build / means");
        Harness.Report(Harness.Compare("receive a batch-signed bundle", () => Receive(space, trust, batched),
                "receive a bundle of singly signed aggregates", () => Receive(space, trust, alone)),
            "speed-up", "goal > 5", baselineOverCandidate: true);
    }

    // What FleetSyncClient does with an aggregate bundle, minus MQTT (slices of the bundle, no copies): a fresh view and
    // cache, as a device that just connected.
    private static void Receive(EmbeddingSpace space, TrustStore trust, byte[] bundle)
    {
        var view = new AggregateView(space, "pi-01");
        var cache = new VerifiedRootCache(256);
        if (!FleetBundleCodec.TryDecode(bundle, out ReadOnlyMemory<byte>[]? messages, out _, out _))
            throw new InvalidOperationException("the bundle does not decode");
        foreach (ReadOnlyMemory<byte> message in messages)
        {
            if (!FleetAggregateCodec.TryDecode(message.Span, out FleetAggregate? aggregate, out _)
                || trust.VerifyPayload(aggregate.AggregatorId, message.Span, cache) != SignatureStatus.Valid
                || view.Merge(aggregate) != FleetMergeOutcome.Applied)
                throw new InvalidOperationException("an aggregate did not verify or merge");
        }
    }
}
