using EdgeCL.Core.Fleet;
using EdgeCL.Core.Vectors;
using EdgeCL.Sync.Tests.Brokers;
using EdgeCL.Sync.Tests.Network;
using static EdgeCL.Sync.Tests.Integration.FleetScenario;

namespace EdgeCL.Sync.Tests.Integration;

/// <summary>
/// Real network partitions (#12 "broker faults", #14 item 2), made with private network namespaces: a
/// <see cref="PartitionLink"/> is cut (its veth link set down, so open connections stall and new ones fail) while both
/// sides keep learning, then healed. Every device must end bit-identical, with counts and means equal to the centralised
/// ones, nothing dropped as forged or invalid and every outbox drained.
/// </summary>
public abstract class PartitionTests : BrokerTestBase
{
    protected static readonly EmbeddingSpace Space = new("9a9a000000000001", 8);
    // A publish or ping waits at most this long for the broker: the cut-off side notices within about three seconds. (1 s
    // also bounded the SUBSCRIBE of each connect through the relays; in a full run on two cores the first device through a
    // fresh link once failed to connect for 30 s.)
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(2);

    [NamespaceFact]
    public async Task Partition_DevicesCutOffFromTheBroker_BothSidesKeepLearning_HealedFleetConvergesExactly()
    {
        PartitionLink link = Own(PartitionLink.Create(Broker.Port));
        var far = new BrokerBehindLink(Broker, link);
        TestDevice[] near = [await DeviceAsync(Broker, "d0"), await DeviceAsync(Broker, "d1")];
        TestDevice[] cut = [await DeviceAsync(far, "d2"), await DeviceAsync(far, "d3")];
        TestDevice[] all = [.. near, .. cut];
        await TeachAsync(all);
        await Converge.AllAsync(all, Converge.Expected(all, Space));
        FleetEntry[] nearBefore = Snapshot(near), cutBefore = Snapshot(cut);

        await link.CutAsync();
        await ChangeApartAsync(near, cut);
        await cut[1].ForgetAsync("own3");
        // The broker's side goes on syncing; the cut-off devices notice the silence and keep their learning in their outboxes.
        await Converge.AllAsync(near, Converge.Expected(near, Space, cutBefore));
        await EventuallyAsync(() => cut.All(d => !d.Client.IsConnected), "the cut-off devices to notice the partition");
        Assert.All(near, d => Assert.True(d.Client.IsConnected));
        foreach (TestDevice d in cut)
        {
            // Nothing crossed the partition: each cut-off device holds its own news and everybody else's old entries.
            Assert.Equal(Converge.Expected([d], Space, [.. nearBefore, .. cutBefore.Where(e => e.DeviceId != d.Id)]), d.State.Digest());
            Assert.True(d.Outbox.PendingCount > 0, $"{d.Id}: its learning waits in the outbox");
        }

        await link.HealAsync();
        await Converge.AllAsync(all, Converge.Expected(all, Space), TimeSpan.FromSeconds(30));
        // On resubscribing, the cut-off devices are sent the broker's older retained copies of the classes they changed
        // meanwhile: dropped as stale (see ExactlyOnce).
        await Converge.ExactlyOnceAsync(all, all, staleCopies: true);
        Assert.All(cut, d => Assert.True(d.Client.Statistics.Connects >= 2, $"{d.Id} reconnected"));
    }

    protected async Task<TestDevice> DeviceAsync(IBrokerHarness broker, string id)
    {
        TestDevice device = Own(new TestDevice(broker, id, Space, operationTimeout: Patience));
        // Each connect attempt has the 1 s patience and retries with backoff; in a full suite on two cores the first ones
        // through a fresh veth link can all run out (seen once: 10 s were not enough), so the start may take longer.
        await device.StartAsync(TimeSpan.FromSeconds(30));
        return device;
    }

    /// <summary>Polls <paramref name="condition"/> for up to 20 s (generous: the suite shares two cores); on failure says
    /// what was awaited and, when given, <paramref name="detail"/>.</summary>
    protected static async Task EventuallyAsync(Func<bool> condition, string what, Func<string>? detail = null)
    {
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); !condition(); await Task.Delay(50))
            if (waited.Elapsed > TimeSpan.FromSeconds(20))
                throw new Xunit.Sdk.XunitException($"waited 20 s for {what}{(detail is null ? "" : ": " + detail())}");
    }
}

public sealed class EmbeddedBrokerPartitionTests : PartitionTests
{
    protected override IBrokerHarness CreateBroker() => new EmbeddedBrokerHarness();
}

public sealed class MosquittoPartitionTests : PartitionTests
{
    protected override IBrokerHarness CreateBroker() => new MosquittoHarness();

    /// <summary>A site mosquitto bridged to the central one over the link: the partition cuts the bridge, each side keeps
    /// learning and syncing within itself, and after healing both sides converge. Either the bridge's connection just
    /// stalls (and resumes when the link returns), or it is reset too: the bridge drops with no broker killed, fails to
    /// reconnect while the link is down, and reconnects after, re-sending its retained entries.</summary>
    [NamespaceTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Partition_BridgeCut_EachSideSyncsWithinItself_HealedFleetConvergesExactly(bool resetConnections)
    {
        PartitionLink link = Own(PartitionLink.Create(Broker.Port));
        MosquittoHarness site = Own(new MosquittoHarness(bridgeToPort: link.Port));
        await site.StartAsync();
        TestDevice[] atSite = [await DeviceAsync(site, "d0"), await DeviceAsync(site, "d1")];
        TestDevice[] atCentre = [await DeviceAsync(Broker, "d2"), await DeviceAsync(Broker, "d3")];
        TestDevice[] all = [.. atSite, .. atCentre];
        await TeachAsync(all);
        await Converge.AllAsync(all, Converge.Expected(all, Space));
        FleetEntry[] siteBefore = Snapshot(atSite), centreBefore = Snapshot(atCentre);

        await link.CutAsync(resetConnections);
        await ChangeApartAsync(atSite, atCentre);
        await Converge.AllAsync(atSite, Converge.Expected(atSite, Space, centreBefore));
        await Converge.AllAsync(atCentre, Converge.Expected(atCentre, Space, siteBefore));
        if (resetConnections)
            await EventuallyAsync(() => BridgeConnects(site) >= 2, "the bridge to try to reconnect while the link is down", () => File.ReadAllText(site.LogPath));

        await link.HealAsync();
        await Converge.AllAsync(all, Converge.Expected(all, Space), TimeSpan.FromSeconds(30));
        // If the bridge reconnected (rather than its stalled connection resuming), the site re-sent its retained copies:
        // the centre's own older entries come back and are dropped as stale, never merged.
        await Converge.ExactlyOnceAsync(all, all, staleCopies: true);
        TestDevice lateAtSite = await DeviceAsync(site, "d4"), lateAtCentre = await DeviceAsync(Broker, "d5");
        await Converge.AllAsync([lateAtSite, lateAtCentre], Converge.Expected(all, Space));
    }

    /// <summary>How many times the site broker has started connecting its bridge (mosquitto logs each attempt).</summary>
    private static int BridgeConnects(MosquittoHarness site)
    {
        using var log = new FileStream(site.LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(log);
        return reader.ReadToEnd().Split('\n').Count(l => l.Contains("Connecting bridge (step 1)", StringComparison.Ordinal));
    }
}
