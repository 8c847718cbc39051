using EdgeCL.Core.Vectors;
using EdgeCL.Sync.Payloads;
using EdgeCL.Sync.Tests.Brokers;
using static EdgeCL.Sync.Tests.Integration.MosquittoBridgeTests;

namespace EdgeCL.Sync.Tests.Integration;

/// <summary>
/// #12 item 6 ("drop counters mix attacks with normal traffic"), found by the partition tests: a device that learned while
/// offline is sent the broker's older retained copy of its own entry when it resubscribes (retained messages ignore
/// no-local). That is ordinary reconnect traffic, counted as redelivered and healed by the rebirth, not a
/// <see cref="SyncDropReason.Stale"/> drop; a live replay of an old own version still is one (SyncContractTests.Drops).
/// </summary>
public sealed class OwnOlderCopyTests : BrokerTestBase
{
    private static readonly EmbeddingSpace Space = new("0c0c000000000001", 8);

    protected override IBrokerHarness CreateBroker() => new EmbeddedBrokerHarness();

    [Fact]
    public async Task DeviceThatLearnedOffline_GetsItsOwnOlderRetainedCopy_AndDoesNotCountItAsADrop()
    {
        TestDevice device = Own(new TestDevice(Broker, "d0", Space)), peer = Own(new TestDevice(Broker, "d1", Space));
        await device.StartAsync();
        await peer.StartAsync();
        await device.LearnAsync("cat", 1, Vector(1));
        await Converge.AllAsync([device, peer], Converge.Expected([device], Space)); // the broker holds version 1

        await device.GoOfflineAsync();
        await device.LearnAsync("cat", 2, Vector(2));
        await device.StartAsync();
        await Converge.AllAsync([device, peer], Converge.Expected([device], Space));

        Assert.Equal(0, device.Client.Statistics.DropCount(SyncDropReason.Stale));
        Assert.True(device.Client.Statistics.Redelivered >= 1, "the older retained copy is counted as redelivered");
    }
}
