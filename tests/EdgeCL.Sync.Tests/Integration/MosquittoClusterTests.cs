using EdgeCL.Core.Fleet;
using EdgeCL.Core.Vectors;
using EdgeCL.Sync.Tests.Brokers;
using static EdgeCL.Sync.Tests.Integration.FleetScenario;
using static EdgeCL.Sync.Tests.Integration.MosquittoBridgeTests;

namespace EdgeCL.Sync.Tests.Integration;

/// <summary>
/// Three real mosquittos: two site brokers, each bridged (the shipped ops/mosquitto/bridge.conf topics) to one central
/// broker, with devices on all three. An entry from site 1 reaches site 2 over two bridges.
/// </summary>
public sealed class MosquittoClusterTests : IAsyncLifetime
{
    private static readonly EmbeddingSpace Space = new("c3c3000000000001", 8);
    private readonly MosquittoHarness _central = new();
    private MosquittoHarness _site1 = null!, _site2 = null!;
    private readonly List<TestDevice> _devices = [];

    public async Task InitializeAsync()
    {
        await _central.StartAsync();
        _site1 = new MosquittoHarness(bridgeToPort: _central.Port);
        _site2 = new MosquittoHarness(bridgeToPort: _central.Port);
        await _site1.StartAsync();
        await _site2.StartAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (TestDevice d in _devices)
            await d.DisposeAsync();
        await _site1.DisposeAsync();
        await _site2.DisposeAsync();
        await _central.DisposeAsync();
    }

    [Fact]
    public async Task ThreeBrokers_DevicesOnEveryBroker_ConvergeExactlyAndALateJoinerGetsEverything()
    {
        TestDevice[] all = await StartDevicesAsync();
        await TeachAsync(all);
        await all[1].ForgetAsync("own1");
        await all[3].LearnAsync("cat", 7, Vector(40)); // a second version at site 2 supersedes its first
        await Converge.AllAsync(all, Converge.Expected(all, Space));
        await Converge.ExactlyOnceAsync(all, all);

        // Joiners at either site get the other site's entries from their own broker's retained copies (two bridges away).
        TestDevice late1 = await DeviceAsync(_site1, "d6"), late2 = await DeviceAsync(_site2, "d7");
        await Converge.AllAsync([late1, late2], Converge.Expected(all, Space));
        await Converge.ExactlyOnceAsync([late1, late2], all);
    }

    [Fact]
    public async Task ThreeBrokers_CentralRestarted_BridgesDropAndReturn_SitesKeepLearning_EverybodyConvergesExactly()
    {
        TestDevice[] all = await StartDevicesAsync();
        TestDevice[] site1 = [all[0], all[1]], site2 = [all[2], all[3]];
        await TeachAsync(all);
        await Converge.AllAsync(all, Converge.Expected(all, Space));
        FleetEntry[] before1 = Snapshot(site1), before2 = Snapshot(site2), before4 = Snapshot([all[4]]);

        // The central broker dies (no persistence: its retained copies are gone) and both bridges drop; the site brokers
        // and their devices live on. Each site keeps learning and syncs within itself; the central device learns offline.
        await _central.KillAsync();
        await all[0].LearnAsync("cat", 11, Vector(50));
        await all[2].LearnAsync("dog", 4, Vector(51));
        await all[3].ForgetAsync("own3");
        await all[4].LearnAsync("cat", 6, Vector(52));
        await Converge.AllAsync(site1, Converge.Expected(site1, Space, [.. before2, .. before4]));
        await Converge.AllAsync(site2, Converge.Expected(site2, Space, [.. before1, .. before4]));

        await _central.StartAsync();
        await Converge.AllAsync(all, Converge.Expected(all, Space), TimeSpan.FromSeconds(30));
        await Converge.ExactlyOnceAsync(all, all, staleCopies: true);
        Assert.True(all[4].Client.Statistics.Connects >= 2, "the central device reconnected");

        // The restarted central holds every site's entries again: a device joining it now converges without anyone's help.
        TestDevice late = await DeviceAsync(_central, "d8");
        await Converge.AllAsync([late], Converge.Expected(all, Space));
    }

    /// <summary>
    /// Known limitation, kept as a failing test: mosquitto re-sends every retained message a broker holds when a bridge
    /// (re)connects (bridge.c: retain__queue on each out topic), so a site that missed an update during the outage sends
    /// its older copy back, and that copy overwrites the newer retained one at the other brokers. Online owners heal it
    /// (they drop the stale copy of their own entry and republish); an owner that is offline cannot, so a device joining
    /// later converges to the owner's older entry until the owner comes back. Needs a repairer with write access to every
    /// entry topic (e.g. the aggregation role of #14 item 1 republishing the newest signed payload it holds).
    /// </summary>
    [Fact(Skip = "known limitation of retained entries over mosquitto bridges: an offline owner's newest entry can regress at the brokers after a bridge outage (see the summary)")]
    public async Task ThreeBrokers_CentralRestartedWhileAnOwnerIsOffline_LateJoinersStillGetItsNewestEntry()
    {
        TestDevice[] all = await StartDevicesAsync();
        await TeachAsync(all);
        await Converge.AllAsync(all, Converge.Expected(all, Space));
        await _central.KillAsync();
        await all[0].LearnAsync("cat", 11, Vector(50)); // reaches site 1 only
        await Converge.AllAsync([all[1]], Converge.Expected(all, Space));
        await all[0].GoOfflineAsync();
        await _central.StartAsync();
        await Converge.AllAsync(all[1..], Converge.Expected(all, Space), TimeSpan.FromSeconds(30));

        TestDevice late = await DeviceAsync(_central, "d8"), late1 = await DeviceAsync(_site1, "d9"), late2 = await DeviceAsync(_site2, "d10");
        await Converge.AllAsync([late, late1, late2], Converge.Expected(all, Space));
    }

    private async Task<TestDevice[]> StartDevicesAsync() =>
    [
        await DeviceAsync(_site1, "d0"), await DeviceAsync(_site1, "d1"),
        await DeviceAsync(_site2, "d2"), await DeviceAsync(_site2, "d3"),
        await DeviceAsync(_central, "d4"),
    ];

    private async Task<TestDevice> DeviceAsync(IBrokerHarness broker, string id)
    {
        var device = new TestDevice(broker, id, Space);
        _devices.Add(device);
        await device.StartAsync();
        return device;
    }
}
