using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Payloads;
using EdgeCL.Sync.Topics;

namespace EdgeCL.Sync.Tests.Integration;

// Devices that publish their entries as retained bundles (a snapshot and a delta, FleetSyncOptions.PublishBundles) beside
// devices that publish one message per class: the same fleet state, bit for bit, on both brokers.
public abstract partial class SyncContractTests
{
    private async Task<TestDevice> BundledAsync(string id)
    {
        TestDevice device = Own(new TestDevice(Broker, id, SpaceA) { PublishBundles = true });
        await device.StartAsync();
        return device;
    }

    [Fact]
    public async Task Bundles_BesidePerClassDevices_ConvergeThroughOfflineLearningForgettingAndABrokerRestart()
    {
        TestDevice a = await BundledAsync("d0"), b = await BundledAsync("d1"), c = await DeviceAsync("d2");
        await a.LearnAsync("cat", 2, Vector(1));
        await a.LearnAsync("dog", 1, Vector(2));
        await b.LearnAsync("cat", 3, Vector(3));
        await c.LearnAsync("cow", 4, Vector(4));
        await Converge.AllAsync([a, b, c], Converge.Expected([a, b, c], SpaceA));

        // b learns offline (its outbox), a forgets, and then teaches more classes at once than its delta holds (a snapshot).
        FleetEntry[] bBefore = [.. b.Latest.Values];
        await b.GoOfflineAsync();
        await b.LearnAsync("cat", 5, Vector(5));
        await b.LearnAsync("fox", 1, Vector(6));
        await a.ForgetAsync("dog");
        await Converge.AllAsync([a, c], Converge.Expected([a, c], SpaceA, bBefore));
        long publishedBefore = a.Client.Statistics.Published;
        await a.LearnBatchAsync([.. Enumerable.Range(0, 12).Select(i => ($"word{i:D2}", 1L + i, Vector(50 + i)))]);
        await Converge.AllAsync([a, c], Converge.Expected([a, c], SpaceA, bBefore));
        // A flush is one bundle: the 12 classes went out as a new snapshot and the emptied delta (a flush that caught the
        // batch half-added makes it a delta first), not as 12 messages. The count rises when the broker's PUBACK is
        // handled, which can come after c merged the bundle: wait for it.
        for (DateTime deadline = DateTime.UtcNow.AddSeconds(10); a.Client.Statistics.Published == publishedBefore && DateTime.UtcNow < deadline;)
            await Task.Delay(20);
        Assert.InRange(a.Client.Statistics.Published - publishedBefore, 1, 4);
        await b.StartAsync();
        await Converge.AllAsync([a, b, c], Converge.Expected([a, b, c], SpaceA));

        // Learned while the broker is down; a late joiner of each kind then finds every class in the retained bundles and entries.
        await Broker.KillAsync();
        await a.LearnAsync("owl", 2, Vector(7));
        await Broker.StartAsync();
        await Converge.AllAsync([a, b, c], Converge.Expected([a, b, c], SpaceA), TimeSpan.FromSeconds(20));
        TestDevice latePerClass = await DeviceAsync("d5"), lateBundled = await BundledAsync("d6");
        await Converge.AllAsync([latePerClass, lateBundled], Converge.Expected([a, b, c], SpaceA));
        foreach (TestDevice d in new[] { a, b, c, latePerClass, lateBundled })
            foreach (SyncDropReason reason in new[] { SyncDropReason.Forged, SyncDropReason.Malformed, SyncDropReason.Unsigned, SyncDropReason.Oversized })
                Assert.Equal(0, d.Client.Statistics.DropCount(reason));
    }

    [Fact]
    public async Task Bundles_AForgedOrLeftoverPartOnTheOwnersTopic_IsDroppedByOthersAndRewrittenByTheOwner()
    {
        TestDevice owner = await BundledAsync("d0"), peer = await DeviceAsync("d1");
        await owner.LearnAsync("cat", 1, Vector(1));
        FleetEntry first = owner.Latest["cat"];
        await owner.LearnAsync("cat", 2, Vector(2));
        await Converge.AllAsync([owner, peer], Converge.Expected([owner], SpaceA));

        // The operator account can write anywhere, like a compromised broker: a bundle part that is not a bundle, and a
        // leftover part (s3, which the owner never wrote in this run) holding the owner's genuine but older entry.
        await using RawClient op = await RawClient.ConnectAsync(Broker.ForOperator(), "operator-3");
        string garbage = FleetTopics.PrototypeBundle("fleet1", SpaceA.Id, "d0", snapshot: true, 1);
        string leftover = FleetTopics.PrototypeBundle("fleet1", SpaceA.Id, "d0", snapshot: true, 3);
        Assert.True((await op.PublishAsync(garbage, [1, 2, 3])).IsSuccess);
        Assert.True((await op.PublishAsync(leftover, FleetBundleCodec.Encode([TestKeys.Codec("d0").Encode(first)]))).IsSuccess);

        await WaitForAsync(() => peer.Client.Statistics.DropCount(SyncDropReason.Malformed) >= 1 && peer.Client.Statistics.DropCount(SyncDropReason.Stale) >= 1, peer);
        await Converge.AllAsync([owner, peer], Converge.Expected([owner], SpaceA));

        // The owner cleared both parts: a reader subscribing now gets only the owner's real bundles.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            await using RawClient reader = await RawClient.ConnectAsync(Broker.ForDevice("observer"), "observer");
            await reader.SubscribeAsync(FleetTopics.OwnPrototypeBundleFilter("fleet1", SpaceA.Id, "d0"));
            await reader.WaitForAsync(t => t.EndsWith("/s0", StringComparison.Ordinal));
            await Task.Delay(200);
            string[] parts = [.. reader.Received.Where(m => m.Payload.Length > 0).Select(m => m.Topic[(m.Topic.LastIndexOf('/') + 1)..]).Distinct().Order()];
            if (!parts.Contains("s1") && !parts.Contains("s3"))
                break;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"the owner did not clear its forged and leftover parts: {string.Join(", ", parts)}");
            await Task.Delay(100);
        }
        TestDevice late = await DeviceAsync("d5");
        await Converge.AllAsync([late], Converge.Expected([owner], SpaceA));
    }
}
