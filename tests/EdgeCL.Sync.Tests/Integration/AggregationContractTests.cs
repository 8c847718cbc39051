using EdgeCL.Core.Fleet;
using EdgeCL.Core.Fleet.Aggregation;
using EdgeCL.Sync.Aggregation;
using EdgeCL.Sync.Bundles;
using EdgeCL.Sync.Payloads;
using EdgeCL.Sync.Tests.Brokers;
using EdgeCL.Sync.Topics;
using MQTTnet;

namespace EdgeCL.Sync.Tests.Integration;

/// <summary>The aggregation role on every broker: devices that receive only aggregates hold exactly what devices merging
/// every entry hold, whichever aggregator (or restarted aggregator) they heard it from.</summary>
public abstract class AggregationContractTests : BrokerTestBase
{
    [Fact]
    public async Task Aggregates_FromTwoAggregatorsAndARestartedOne_MatchTheDirectMergeBitForBit()
    {
        TestDevice[] direct = [await Direct("d0"), await Direct("d1"), await Direct("d2")];
        FleetAggregator agg1 = await AggregatorAsync("agg1");
        FleetAggregator agg2 = await AggregatorAsync("agg2", batchSignatures: false); // one signature per message: both formats side by side
        AggregateDevice teaching = await ViaAggregates("d3");
        AggregateDevice listening = await ViaAggregates("d4", bundles: false); // one message per class beside the bundles

        for (int i = 0; i < direct.Length; i++)
        {
            await direct[i].LearnAsync("shared", 2 + i, Vector(10 + i));
            await direct[i].LearnAsync($"own{i}", 1, Vector(20 + i));
        }
        await teaching.LearnAsync("shared", 7, Vector(30));
        await teaching.LearnAsync("mine", 3, Vector(31));
        await direct[2].ForgetAsync("own2");
        await teaching.LearnAsync("shared", 9, Vector(32)); // a second version of its own contribution

        await ConvergeAsync(direct, teaching, listening);

        // One aggregator crashes; the fleet goes on learning; a fresh instance of it rebuilds from the retained entries.
        await agg1.AbortAsync();

        await direct[1].LearnAsync("shared", 4, Vector(40));
        await teaching.LearnAsync("mine", 1, Vector(41));
        await ConvergeAsync(direct, teaching, listening);
        Assert.True(agg2.SignaturesMade >= agg2.AggregatesPublished + agg2.ReceiptsPublished, "agg2 signs every message alone");
        await agg2.AbortAsync();

        FleetAggregator restarted = await AggregatorAsync("agg1");
        await direct[0].LearnAsync("late", 2, Vector(50));
        await ConvergeAsync(direct, teaching, listening);

        // A device that joins now finds every class in the retained snapshot and delta of the restarted aggregator.
        AggregateDevice joining = await ViaAggregates("d5");
        await ConvergeAsync(direct, teaching, listening, joining);

        // Nothing was refused along the way, and the direct devices (entries, no aggregates) hold the same fleet.
        Assert.All(new[] { teaching, listening }, d => Assert.Equal(0, d.Client.Statistics.Drops.Values.Sum()));
        Assert.All(direct, d => Assert.Equal(0, d.Client.Statistics.Drops.Values.Sum()));
        // (The counter is bumped after the broker's acknowledgement, which may come after the devices heard the aggregate.)
        await WaitForAsync(() => restarted.AggregatesPublished > 0, "the restarted aggregator to count its publishes");
    }

    [Fact]
    public async Task Aggregates_FromAnUntrustedOrForgingPublisher_AreDroppedAndChangeNothing()
    {
        TestDevice writer = await Direct("d0");
        FleetAggregator aggregator = await AggregatorAsync("agg1");
        AggregateDevice listening = await ViaAggregates("d4");
        AggregateDevice perClass = await ViaAggregates("d5", bundles: false);
        await writer.LearnAsync("cat", 3, Vector(1));
        await ConvergeAsync([writer], listening, perClass);
        string before = listening.Describe();

        // mallory is a fleet member, so the broker lets it publish under its own id, but no device trusts it to aggregate.
        FleetState fake = new(AggregationExpect.Space);
        fake.Merge(new FleetEntry { SpaceId = AggregationExpect.Space.Id, DeviceId = "d0", Label = "cat", Version = 99, Count = 1000, Mean = Vector(2) });
        FleetAggregate forged = FleetAggregation.Build(fake, "cat", "mallory")!;
        await using RawClient mallory = await RawClient.ConnectAsync(Broker.ForDevice("mallory"), "mallory");
        await mallory.PublishAsync(FleetTopics.Aggregate("fleet1", AggregationExpect.Space.Id, "mallory", "cat"), FleetAggregateCodec.Encode(forged, TestKeys.Signer("mallory")), retain: true);
        // A trusted aggregator's name with mallory's signature: the broker's ACL stops it on the embedded broker and on
        // mosquitto alike (mallory may write only under its own id), so it never arrives.
        await mallory.PublishAsync(FleetTopics.Aggregate("fleet1", AggregationExpect.Space.Id, "agg1", "cat"),
            FleetAggregateCodec.Encode(forged with { AggregatorId = "mallory" }, TestKeys.Signer("mallory")), retain: true);

        await WaitForAsync(() => perClass.Client.Statistics.DropCount(SyncDropReason.Unsigned) >= 1, "the untrusted aggregate to be dropped");
        Assert.Equal(before, perClass.Describe());
        // A device on bundles listens only to the aggregators it trusts, so mallory's bundles never reach it; an
        // all-powerful publisher (a compromised broker) can put mallory's aggregate in a part under agg1's name: a
        // device catching up drops it (the payload's signer is not the topic's aggregator) and ends as the others. The
        // aggregator is stopped first: running, it clears a part beyond its own at once (Bundles_AnAggregator_ClearsLeftovers…).
        await aggregator.AbortAsync();
        await using RawClient op = await RawClient.ConnectAsync(Broker.ForOperator(), "operator-4");
        await op.PublishAsync(FleetTopics.AggregateBundle("fleet1", AggregationExpect.Space.Id, "agg1", snapshot: true, 3),
            FleetBundleCodec.Encode([FleetAggregateCodec.Encode(forged, TestKeys.Signer("mallory"))]), retain: true);
        AggregateDevice joining = await ViaAggregates("d6");
        await WaitForAsync(() => joining.Client.Statistics.DropCount(SyncDropReason.Forged) >= 1, "the forged part to be dropped");
        await ConvergeAsync([writer], listening, joining);
        Assert.Equal(before, listening.Describe());
        Assert.Equal(before, joining.Describe());
    }

    [Fact]
    public async Task Bundles_ThroughSnapshotsAndDeltas_BringLateJoinersToTheStateOfPerClassTopicsBitForBit()
    {
        TestDevice writer = await Direct("d0");
        FleetAggregator aggregator = await AggregatorAsync("agg1");
        AggregateDevice early = await ViaAggregates("d3");

        // 40 classes at once: more than the delta holds (√80 → 9), so a snapshot; then single changes: deltas.
        int classes = 40;
        for (int c = 0; c < classes; c++)
            await writer.LearnAsync($"class{c:D2}", 1 + c % 3, Vector(100 + c));
        await ConvergeAsync([writer], early);
        for (int c = 0; c < 3; c++)
        {
            await writer.LearnAsync($"class{c:D2}", 5, Vector(200 + c));
            await ConvergeAsync([writer], early);
        }

        // What the broker holds: a snapshot and (unless the last change made a new snapshot) a delta within its limit,
        // which together have every class at its latest: the three changed classes at version sum 2.
        await aggregator.WaitUntilIdleAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await using RawClient reader = await RawClient.ConnectAsync(Broker.ForDevice("observer"), "observer");
        await reader.SubscribeAsync(FleetTopics.AggregateBundleFilter("fleet1", AggregationExpect.Space.Id));
        await reader.WaitForAsync(t => t.EndsWith("/aggs/agg1/s0", StringComparison.Ordinal));
        await Task.Delay(300); // the delta, if any, is retained beside it
        var held = new Dictionary<string, FleetAggregate>(StringComparer.Ordinal);
        int inDelta = 0;
        foreach ((string topic, byte[] payload) in reader.Received.Where(m => m.Payload.Length > 0))
        {
            Assert.True(FleetBundleCodec.TryDecode(payload, out byte[][]? messages, out _));
            if (topic.EndsWith("/d0", StringComparison.Ordinal))
                inDelta = messages.Length;
            foreach (byte[] message in messages)
            {
                Assert.True(FleetAggregateCodec.TryDecode(message, out FleetAggregate? aggregate, out _));
                if (!held.TryGetValue(aggregate.Label, out FleetAggregate? other) || FleetAggregation.Compare(aggregate, other) > 0)
                    held[aggregate.Label] = aggregate;
            }
        }
        Assert.Equal(classes, held.Count);
        Assert.All(Enumerable.Range(0, 3), c => Assert.Equal(2, held[$"class{c:D2}"].VersionSum));
        Assert.InRange(inDelta, 0, RetainedBundles.DeltaLimit(classes));
        Assert.True(aggregator.BundlesPublished >= 4, $"{aggregator.BundlesPublished} bundle parts published");

        // Late joiners on either transport end bit-identical to the early device and to the direct merge.
        AggregateDevice lateBundles = await ViaAggregates("d4");
        AggregateDevice latePerClass = await ViaAggregates("d5", bundles: false);
        await ConvergeAsync([writer], early, lateBundles, latePerClass);
        // One cycle is one delivery for a device on bundles, one per class for a device on class topics.
        Assert.True(lateBundles.Client.Statistics.Received < latePerClass.Client.Statistics.Received,
            $"bundles {lateBundles.Client.Statistics.Received} messages, per class {latePerClass.Client.Statistics.Received}");
        Assert.All(new[] { early, lateBundles, latePerClass }, d => Assert.Equal(0, d.Client.Statistics.Drops.Values.Sum()));

        // Caught up, a device keeps only the live bundles: a one-class change is one message with one aggregate in it,
        // not the cumulative delta.
        await WaitForAsync(() => lateBundles.Client.AggregateCatchUps >= 1, "the late joiner to catch up and drop the retained bundles");
        Client.SyncStatistics before = lateBundles.Client.Statistics;
        await writer.LearnAsync("class05", 4, Vector(300));
        await ConvergeAsync([writer], early, lateBundles, latePerClass);
        Client.SyncStatistics after = lateBundles.Client.Statistics;
        Assert.Equal(1, after.Received - before.Received);
        Assert.InRange(after.ReceivedBytes - before.ReceivedBytes, 1, 1000);
    }

    [Fact]
    public async Task Bundles_AnAggregator_ClearsLeftoversOfAnEarlierRunAndRewritesAGarbledPart()
    {
        TestDevice writer = await Direct("d0");
        FleetAggregator first = await AggregatorAsync("agg1");
        AggregateDevice viewer = await ViaAggregates("d3");
        await writer.LearnAsync("cat", 1, Vector(1));
        await ConvergeAsync([writer], viewer);
        await first.AbortAsync();

        // What a run with more parts leaves behind (more classes then, or a snapshot that has shrunk since): the
        // aggregator's own genuine bundle at part indices this run does not use.
        string Part(bool snapshot, int index) => FleetTopics.AggregateBundle("fleet1", AggregationExpect.Space.Id, "agg1", snapshot, index);
        await using RawClient op = await RawClient.ConnectAsync(Broker.ForOperator(), "operator-4");
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await op.SubscribeAsync(FleetTopics.AggregatorBundlesFilter("fleet1", AggregationExpect.Space.Id, "agg1")));
        byte[] genuine = await op.WaitForAsync(t => t == Part(true, 0));
        Assert.True((await op.PublishAsync(Part(true, 3), genuine)).IsSuccess);
        Assert.True((await op.PublishAsync(Part(false, 2), genuine)).IsSuccess);

        FleetAggregator restarted = await AggregatorAsync("agg1");
        await writer.LearnAsync("dog", 2, Vector(2));
        await ConvergeAsync([writer], viewer);
        await OnlyItsOwnPartsAsync("the restarted aggregator left parts it does not use");

        // A part within its own that it did not write (a compromised broker's garbage) is rewritten too.
        Assert.True((await op.PublishAsync(Part(true, 0), [1, 2, 3])).IsSuccess);
        await OnlyItsOwnPartsAsync("the aggregator did not rewrite a garbled part of its own");
        AggregateDevice joining = await ViaAggregates("d5");
        await ConvergeAsync([writer], viewer, joining);
        Assert.True(restarted.BundlesPublished > 0);

        // A reader subscribing now gets the parts this run wrote, and only those: s0 and d0, each a bundle of agg1's.
        async Task OnlyItsOwnPartsAsync(string failure)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (true)
            {
                await using RawClient reader = await RawClient.ConnectAsync(Broker.ForDevice("observer"), "observer");
                await reader.SubscribeAsync(FleetTopics.AggregatorBundlesFilter("fleet1", AggregationExpect.Space.Id, "agg1"));
                await reader.WaitForAsync(t => t == Part(true, 0));
                await Task.Delay(200);
                (string Topic, byte[] Payload)[] held = [.. reader.Received.Where(m => m.Payload.Length > 0)];
                string[] parts = [.. held.Select(m => m.Topic[(m.Topic.LastIndexOf('/') + 1)..]).Distinct().Order()];
                if (parts.SequenceEqual(["d0", "s0"]) && held.All(m => FleetBundleCodec.TryDecode(m.Payload, out _, out _, out _)))
                    return;
                if (DateTime.UtcNow > deadline)
                    Assert.Fail($"{failure}: {string.Join(", ", parts)}");
                await Task.Delay(100);
            }
        }
    }

    private async Task ConvergeAsync(IReadOnlyList<TestDevice> writers, params AggregateDevice[] viewers)
    {
        var expectedState = new FleetState(AggregationExpect.Space);
        foreach (TestDevice w in writers)
            foreach (FleetEntry e in w.Latest.Values)
                expectedState.Merge(e);
        foreach (AggregateDevice v in viewers)
            foreach (FleetEntry e in v.Latest.Values)
                expectedState.Merge(e);
        string expected = AggregationExpect.Describe(expectedState);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (viewers.Any(v => v.Describe() != expected))
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"aggregate views did not converge on {Broker.Kind}.\nexpected:\n{expected}\n" + string.Join("\n", viewers.Select(v => $"{v.Id}:\n{v.Describe()}")));
            await Task.Delay(25);
        }
        // The direct devices hold the same merge, entry by entry.
        string digest = LockedState.DigestOf(expectedState);
        await Converge.AllAsync(writers, Converge.Expected(writers, AggregationExpect.Space, [.. viewers.SelectMany(v => v.Latest.Values)]));
        Assert.All(writers, w => Assert.Equal(digest, w.State.Digest()));
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(25);
        }
    }

    private async Task<TestDevice> Direct(string id)
    {
        TestDevice device = Own(new TestDevice(Broker, id, AggregationExpect.Space));
        await device.StartAsync();
        return device;
    }

    private async Task<AggregateDevice> ViaAggregates(string id, bool bundles = true)
    {
        AggregateDevice device = Own(new AggregateDevice(Broker, id, AggregationExpect.Space, bundles, "agg1", "agg2"));
        await device.StartAsync();
        return device;
    }

    private async Task<FleetAggregator> AggregatorAsync(string id, bool batchSignatures = true)
    {
        FleetAggregator aggregator = Own(AggregateDevice.Aggregator(Broker, id, batchSignatures: batchSignatures));
        await aggregator.StartAsync();
        await aggregator.Client.WaitUntilConnectedAsync().WaitAsync(TimeSpan.FromSeconds(10));
        return aggregator;
    }

    private static float[] Vector(int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, AggregationExpect.Space.Dimension).Select(_ => (float)(random.NextDouble() * 2 - 1))];
    }
}

/// <summary>The aggregation contract on the embedded broker.</summary>
public sealed class EmbeddedBrokerAggregationTests : AggregationContractTests
{
    protected override IBrokerHarness CreateBroker() => new EmbeddedBrokerHarness();
}

/// <summary>The aggregation contract on a real mosquitto with ops/mosquitto/acl.</summary>
public sealed class MosquittoAggregationTests : AggregationContractTests
{
    protected override IBrokerHarness CreateBroker() => new MosquittoHarness();
}
