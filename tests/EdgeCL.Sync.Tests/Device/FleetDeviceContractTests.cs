using EdgeCL.Core.Fleet;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;
using EdgeCL.Sync.Device;
using EdgeCL.Sync.Tests.Brokers;

namespace EdgeCL.Sync.Tests.Device;

/// <summary>Durable device behaviour every broker must support: run against the embedded broker and a real mosquitto.</summary>
public abstract class FleetDeviceContractTests : IAsyncLifetime
{
    private static readonly EmbeddingSpace Space = new("a1a1", 8);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private IBrokerHarness _broker = null!;
    private DeviceHarness _devices = null!;

    protected abstract IBrokerHarness CreateBroker();

    public async Task InitializeAsync()
    {
        _broker = CreateBroker();
        await _broker.StartAsync();
        _devices = new DeviceHarness(_broker, Space);
    }

    public async Task DisposeAsync()
    {
        await _devices.DisposeAsync();
        await _broker.DisposeAsync();
    }

    private static float[] V(int seed) => DeviceHarness.Vector(seed, Space.Dimension);

    [Fact]
    public async Task OfflineLearning_ClosedUnacknowledged_ReopenedDeviceDrainsWhenBrokerReturns()
    {
        FleetDevice peer = await _devices.StartAsync("d1");
        await peer.WaitUntilSyncedAsync().WaitAsync(Deadline);
        await _broker.KillAsync();

        // Broker down: every change is committed with its announcement and acknowledged at once.
        FleetDevice offline = await _devices.StartAsync("d0");
        await offline.LearnAsync("cat", V(1));
        await offline.LearnAsync("cat", V(2));
        await offline.LearnAsync("cat", V(3));
        await offline.LearnAsync("dog", V(4));
        Assert.NotNull(await offline.ForgetAsync("dog"));
        Assert.Equal(2, offline.PendingOutboxRows); // five changes, coalesced to one row per class
        await offline.DisposeAsync(); // nothing was acknowledged by a broker

        FleetDevice reopened = _devices.Open("d0");
        Assert.Equal(2, reopened.PendingOutboxRows);
        IReadOnlyList<FleetEntry> own = await reopened.OwnEntriesAsync();
        Assert.Equal(3, own.Single(e => e.Label == "cat").Version);
        Assert.True(own.Single(e => e.Label == "dog").IsTombstone);
        await reopened.StartAsync();

        await _broker.StartAsync();
        await reopened.WaitUntilSyncedAsync().WaitAsync(Deadline);
        Assert.Equal(0, reopened.PendingOutboxRows);
        await DeviceHarness.ConvergeAsync([reopened, peer], () => DeviceHarness.Entry(peer, "d0", "dog") is { IsTombstone: true });
        Assert.Equal(3, DeviceHarness.Entry(peer, "d0", "cat")!.Version);
        Assert.Equal("cat", peer.Predict(V(2)).Label);

        // The peer stored what it received: reopened offline, it still holds d0's entries.
        string digest = DeviceHarness.Digest(peer);
        await peer.DisposeAsync();
        FleetDevice peerAgain = _devices.Open("d1");
        Assert.Equal(digest, DeviceHarness.Digest(peerAgain));
        // The acknowledgements are durable too.
        await reopened.DisposeAsync();
        Assert.Equal(0, _devices.Open("d0").PendingOutboxRows);
    }

    [Fact]
    public async Task Forget_PropagatesAsTombstone_AndLeavesTheFleetPrototypes()
    {
        FleetDevice a = await _devices.StartAsync("d0");
        FleetDevice b = await _devices.StartAsync("d1");
        await a.LearnAsync("cat", V(1));
        await a.LearnAsync("owl", V(7));
        await b.LearnAsync("cat", V(2));
        await DeviceHarness.ConvergeAsync([a, b], () => DeviceHarness.Entry(b, "d0", "owl") is not null && DeviceHarness.Entry(a, "d1", "cat") is not null);
        Assert.Equal(2, b.FleetPrototypes().SummaryAt(b.FleetPrototypes().IndexOf("cat")).Count);

        FleetEntry tombstone = (await a.ForgetAsync("owl"))!;
        Assert.True(tombstone.IsTombstone);
        Assert.Null(await a.ForgetAsync("never-learned"));
        await DeviceHarness.ConvergeAsync([a, b], () => DeviceHarness.Entry(b, "d0", "owl") is { IsTombstone: true });
        PrototypeMemory fleet = b.FleetPrototypes();
        Assert.False(fleet.Contains("owl"));
        Assert.True(fleet.Tombstones.ContainsKey("owl"));
        Assert.NotEqual("owl", b.Predict(V(7)).Label);
        await a.WaitUntilSyncedAsync().WaitAsync(Deadline);
        Assert.Equal(0, a.PendingOutboxRows);
    }

    [Fact]
    public async Task Reinstall_FleetHoldsHigherOwnVersions_DeviceAdoptsOrContinuesAboveThem()
    {
        FleetDevice before = await _devices.StartAsync("d0", "d0-first-install");
        FleetDevice peer = await _devices.StartAsync("d1");
        for (int i = 0; i < 3; i++)
            await before.LearnAsync("cat", V(10 + i));
        await before.LearnAsync("dog", V(20));
        await before.LearnAsync("dog", V(21));
        await before.WaitUntilSyncedAsync().WaitAsync(Deadline);
        await DeviceHarness.ConvergeAsync([before, peer], () => DeviceHarness.Entry(peer, "d0", "dog") is { Version: 2 } && DeviceHarness.Entry(peer, "d0", "cat") is { Version: 3 });
        await before.DisposeAsync();

        // Reinstalled with the same id and key but an empty store; it learns "cat" once before it reaches the broker.
        FleetDevice after = _devices.Open("d0", "d0-reinstalled");
        FleetEntry fresh = await after.LearnAsync("cat", V(99));
        Assert.Equal(1, fresh.Version);
        await after.StartAsync();

        await DeviceHarness.ConvergeAsync([after, peer], () =>
            DeviceHarness.Entry(peer, "d0", "cat") is { Version: 4, Count: 1 } && DeviceHarness.Entry(peer, "d0", "dog") is { Version: 2 }
            && after.Statistics.Adopted == 1);
        Assert.Equal(V(99), DeviceHarness.Entry(peer, "d0", "cat")!.Mean);
        IReadOnlyList<FleetEntry> own = await after.OwnEntriesAsync();
        Assert.Equal(4, own.Single(e => e.Label == "cat").Version);
        Assert.Equal(2, own.Single(e => e.Label == "dog").Version);
        Assert.Equal(1, after.Statistics.VersionsContinued);
        // Learning continues above the fleet's versions.
        Assert.Equal(3, (await after.LearnAsync("dog", V(22))).Version);
        await DeviceHarness.ConvergeAsync([after, peer], () => DeviceHarness.Entry(peer, "d0", "dog") is { Version: 3, Count: 3 });
    }
}
