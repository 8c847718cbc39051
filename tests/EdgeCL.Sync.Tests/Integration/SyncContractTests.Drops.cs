using EdgeCL.Core.Fleet;
using EdgeCL.Core.Fleet.Signing;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Payloads;
using EdgeCL.Sync.Topics;

namespace EdgeCL.Sync.Tests.Integration;

// Drop counters tell attacks from normal traffic (issue #12 item 6), on every broker.
public abstract partial class SyncContractTests
{
    [Fact]
    public async Task Drops_RetainedEntriesRedeliveredAtReconnect_AreCountedQuietlyNotStale()
    {
        TestDevice a = await DeviceAsync("d0"), b = await DeviceAsync("d1");
        await a.LearnAsync("cat", 2, Vector(1));
        await a.LearnAsync("dog", 3, Vector(2));
        await b.LearnAsync("cow", 1, Vector(3));
        await Converge.AllAsync([a, b], Converge.Expected([a, b], SpaceA));

        // b reconnects with its state kept: the broker sends every retained entry again, a's included.
        await b.GoOfflineAsync();
        await b.StartAsync();
        await PollAsync(() => b.Client.Statistics.Redelivered >= 2);
        Assert.Equal(0, b.Client.Statistics.Drops.Values.Sum());
        Assert.Empty(b.Client.DroppedTopics);
        Assert.Equal(0, a.Client.Statistics.Drops.Values.Sum());
    }

    [Fact]
    public async Task Drops_TamperedCopyOfTheHeldVersion_IsForgedNotStaleAndItsTopicIsListed()
    {
        TestDevice honest = await DeviceAsync("d0"), peer = await DeviceAsync("d1");
        await peer.LearnAsync("dog", 2, Vector(1));
        await Converge.AllAsync([honest, peer], Converge.Expected([peer], SpaceA));

        // The same version as the one held, one byte of the mean flipped (an operator account writes anywhere, like a
        // compromised broker).
        byte[] tampered = TestKeys.Codec("d1").Encode(peer.Latest["dog"]);
        tampered[^70] ^= 1;
        string topic = FleetTopics.Prototype("fleet1", SpaceA.Id, "d1", "dog");
        await using (RawClient op = await RawClient.ConnectAsync(Broker.ForOperator(), "operator-3"))
            Assert.True((await op.PublishAsync(topic, tampered, retain: false)).IsSuccess);

        await WaitForAsync(() => honest.Client.Statistics.DropCount(SyncDropReason.Forged) == 1, honest);
        Assert.Equal(0, honest.Client.Statistics.DropCount(SyncDropReason.Stale));
        DroppedTopic listed = Assert.Single(honest.Client.DroppedTopics);
        Assert.Equal(topic, listed.Topic);
        Assert.Equal(SyncDropReason.Forged, listed.Reason);
        Assert.Equal(Converge.Expected([peer], SpaceA), honest.State.Digest());
    }

    [Fact]
    public async Task Drops_BatchSignedFlush_ConvergesAndACopyWithATamperedPathIsForged()
    {
        TestDevice honest = await DeviceAsync("d0"), peer = await DeviceAsync("d1");
        FleetEntry[] flush = await peer.LearnBatchAsync(("cat", 2, Vector(1)), ("dog", 3, Vector(2)), ("owl", 1, Vector(3)));
        await Converge.AllAsync([honest, peer], Converge.Expected([peer], SpaceA));
        Assert.Equal(0, honest.Client.Statistics.Drops.Values.Sum());

        // Another copy of dog from the same kind of flush, one bit of its Merkle path flipped: the root no longer verifies.
        byte[] tampered = TestKeys.Codec("d1").EncodeBatch(flush)[1];
        Assert.True(SignedPayload.IsBatch(tampered));
        tampered[^(SignedPayload.BatchTrailerBytes + 1)] ^= 1;
        string topic = FleetTopics.Prototype("fleet1", SpaceA.Id, "d1", "dog");
        await using (RawClient op = await RawClient.ConnectAsync(Broker.ForOperator(), "operator-3"))
            Assert.True((await op.PublishAsync(topic, tampered, retain: false)).IsSuccess);

        await WaitForAsync(() => honest.Client.Statistics.DropCount(SyncDropReason.Forged) == 1, honest);
        Assert.Equal(Converge.Expected([peer], SpaceA), honest.State.Digest());
    }

    /// <summary>Waits for a counter that raises no event (redeliveries are quiet).</summary>
    protected static async Task PollAsync(Func<bool> condition)
    {
        DateTime end = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > end)
                throw new Xunit.Sdk.XunitException("condition not met within 10 s");
            await Task.Delay(20);
        }
    }
}
