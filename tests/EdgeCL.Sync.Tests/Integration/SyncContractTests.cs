using EdgeCL.Core.Fleet;
using EdgeCL.Core.Vectors;
using EdgeCL.Sync.Payloads;
using EdgeCL.Sync.Tests.Brokers;
using EdgeCL.Sync.Topics;
using MQTTnet;

namespace EdgeCL.Sync.Tests.Integration;

/// <summary>Fleet-sync behaviour every broker must give: run against the embedded broker and a real mosquitto.</summary>
public abstract partial class SyncContractTests : BrokerTestBase
{
    protected static readonly EmbeddingSpace SpaceA = new("a1a1", 8);
    protected static readonly EmbeddingSpace SpaceB = new("b2b2", 8);

    protected static float[] Vector(int seed, int dimension = 8)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, dimension).Select(_ => (float)(random.NextDouble() * 2 - 1))];
    }

    protected async Task<TestDevice> DeviceAsync(string id, EmbeddingSpace? space = null, bool start = true)
    {
        TestDevice device = Own(new TestDevice(Broker, id, space ?? SpaceA));
        if (start)
            await device.StartAsync();
        return device;
    }

    protected async Task<RawClient> RawAsync(string user) => Own(await RawClient.ConnectAsync(Broker.ForDevice(user), user));

    [Fact]
    public async Task Sync_SeveralDevicesWithReplaysAndDuplicates_ConvergeToIdenticalState()
    {
        TestDevice[] devices = [await DeviceAsync("d0"), await DeviceAsync("d1"), await DeviceAsync("d2"), await DeviceAsync("d3")];
        for (int i = 0; i < devices.Length; i++)
        {
            await devices[i].LearnAsync("shared", 3 + i, Vector(100 + i));
            await devices[i].LearnAsync($"own{i}", 1, Vector(200 + i));
            await devices[i].LearnAsync("shared", 5 + i, Vector(300 + i)); // a second version supersedes the first
        }
        // A replayer with its own credentials sends versions out of order, duplicated and replayed.
        await using RawClient replayer = await RawClient.ConnectAsync(Broker.ForDevice("d9"), "d9");
        var codec = TestKeys.Codec("d9");
        FleetEntry V(long version) => new() { SpaceId = SpaceA.Id, DeviceId = "d9", Label = "x", Version = version, Count = version, Mean = Vector((int)version) };
        string topic = FleetTopics.Prototype("fleet1", SpaceA.Id, "d9", "x");
        foreach (long v in new long[] { 2, 3, 1, 3, 2 })
            Assert.True((await replayer.PublishAsync(topic, codec.Encode(V(v)))).IsSuccess);

        string expected = Converge.Expected(devices, SpaceA, V(3));
        await Converge.AllAsync(devices, expected);
        // v1 and the replayed v2 arrive after v3 at every device and are dropped as stale; the duplicate v3 (sent before
        // v2) is an identical copy, counted as redelivered, not as a drop.
        await WaitForAsync(() => devices.All(d => d.Client.Statistics.DropCount(SyncDropReason.Stale) >= 2), devices);
        Assert.All(devices, d => Assert.True(d.Client.Statistics.Redelivered >= 1, $"{d.Id}: {d.Client.Statistics.Redelivered} redelivered"));
        Assert.All(devices, d => Assert.Equal(expected, d.State.Digest()));
    }

    [Fact]
    public async Task Sync_DeviceOfflineWhileOthersLearnAndForget_ConvergesWhenBack()
    {
        TestDevice a = await DeviceAsync("d0"), b = await DeviceAsync("d1"), c = await DeviceAsync("d2");
        await a.LearnAsync("cat", 2, Vector(1));
        await b.LearnAsync("dog", 3, Vector(2));
        await c.LearnAsync("cow", 4, Vector(3));
        await Converge.AllAsync([a, b, c], Converge.Expected([a, b, c], SpaceA));
        FleetEntry[] cBefore = [.. c.Latest.Values];

        await c.GoOfflineAsync();
        await a.LearnAsync("cat", 5, Vector(4));
        await a.LearnAsync("bird", 1, Vector(5));
        await b.ForgetAsync("dog");
        await c.LearnAsync("cow", 6, Vector(6)); // offline learning waits in c's outbox
        await c.ForgetAsync("cow-old");
        await Converge.AllAsync([a, b], Converge.Expected([a, b], SpaceA, cBefore));

        await c.StartAsync();
        await Converge.AllAsync([a, b, c], Converge.Expected([a, b, c], SpaceA));
    }

    [Fact]
    public async Task Sync_BrokerKilledAndRestartedMidSync_DevicesConverge()
    {
        TestDevice a = await DeviceAsync("d0"), b = await DeviceAsync("d1");
        await a.LearnAsync("cat", 2, Vector(1));
        await b.LearnAsync("dog", 3, Vector(2));
        await Converge.AllAsync([a, b], Converge.Expected([a, b], SpaceA));

        await Broker.KillAsync();
        await a.LearnAsync("cat", 4, Vector(3)); // learned while the broker is down: outbox
        await b.LearnAsync("fox", 1, Vector(4));
        await Broker.StartAsync();

        await Converge.AllAsync([a, b], Converge.Expected([a, b], SpaceA), TimeSpan.FromSeconds(20));
        // A device that joins after the restart gets everything from the retained entries (embedded: loaded from disk
        // and updated; mosquitto without persistence: restored by the devices' rebirth).
        TestDevice late = await DeviceAsync("d5");
        await Converge.AllAsync([late], Converge.Expected([a, b], SpaceA));
    }

    [Fact]
    public async Task Sync_OtherSpace_IsIsolatedAndForeignPayloadsAreDropped()
    {
        TestDevice a = await DeviceAsync("d0", SpaceA), b = await DeviceAsync("d1", SpaceB), a2 = await DeviceAsync("d2", SpaceA);
        await a.LearnAsync("cat", 2, Vector(1));
        await b.LearnAsync("cat", 9, Vector(2));
        // d3 publishes a space-B payload under a space-A topic: the A devices must drop it as wrong-space.
        await using RawClient rogue = await RawClient.ConnectAsync(Broker.ForDevice("d3"), "d3");
        var foreign = new FleetEntry { SpaceId = SpaceB.Id, DeviceId = "d3", Label = "cat", Version = 1, Count = 1, Mean = Vector(3) };
        bool delivered = await PublishOrRefusedAsync(rogue, FleetTopics.Prototype("fleet1", SpaceA.Id, "d3", "cat"), TestKeys.Codec("d3").Encode(foreign));

        await Converge.AllAsync([a, a2], Converge.Expected([a], SpaceA));
        await Converge.AllAsync([b], Converge.Expected([b], SpaceB));
        if (delivered)
            await WaitForAsync(() => a.Client.Statistics.DropCount(SyncDropReason.WrongSpace) == 1 && a2.Client.Statistics.DropCount(SyncDropReason.WrongSpace) == 1, a, a2);
        Assert.All(a.State.Entries(), e => Assert.Equal(SpaceA.Id, e.SpaceId));
    }

    [Fact]
    public async Task Acl_PublishUnderAnotherDeviceId_NeverReachesSubscribers()
    {
        await using RawClient observer = await RawClient.ConnectAsync(Broker.ForDevice("observer"), "observer");
        Assert.True(await observer.SubscribeAsync("edgecl/v1/fleet1/+/proto/#") <= MqttClientSubscribeResultCode.GrantedQoS2);
        TestDevice victim = await DeviceAsync("d0");
        await victim.LearnAsync("cat", 1, Vector(1));
        await observer.WaitForAsync(t => t.EndsWith("/proto/d0/cat", StringComparison.Ordinal));

        var forged = new FleetEntry { SpaceId = SpaceA.Id, DeviceId = "d0", Label = "cat", Version = 99, Count = 1000, Mean = Vector(66) };
        var codec = TestKeys.Codec("mallory");
        var forger = TestKeys.Codec("d0"); // as if mallory had stolen d0's key: the ACL must still stop it
        // Each forbidden publish is refused: MQTTnet.Server answers PUBACK NotAuthorized, mosquitto may drop the connection.
        await ForbiddenPublishAsync(FleetTopics.Prototype("fleet1", SpaceA.Id, "d0", "cat"), forger.Encode(forged));
        await ForbiddenPublishAsync(FleetTopics.Status("fleet1", "d0"), "{\"v\":1,\"online\":false}"u8.ToArray());
        await ForbiddenPublishAsync(FleetTopics.Command("fleet1", "d0"), "{\"v\":1,\"command\":\"rebirth\"}"u8.ToArray());
        await using RawClient mallory = await RawClient.ConnectAsync(Broker.ForDevice("mallory"), "mallory");
        // Another device's commands: the subscription is refused (MQTTnet.Server) or granted but never served (mosquitto
        // checks read access per message). An operator command to d0 followed by one to mallory proves the latter.
        MqttClientSubscribeResultCode code = await mallory.SubscribeAsync(FleetTopics.Command("fleet1", "d0"));
        Assert.True(await mallory.SubscribeAsync(FleetTopics.Command("fleet1", "mallory")) <= MqttClientSubscribeResultCode.GrantedQoS2);
        await using (RawClient op = await RawClient.ConnectAsync(Broker.ForOperator(), "operator-1"))
        {
            Assert.True((await op.PublishAsync(FleetTopics.Command("fleet1", "d0"), "{\"v\":1,\"command\":\"rebirth\"}"u8.ToArray(), retain: false)).IsSuccess);
            Assert.True((await op.PublishAsync(FleetTopics.Command("fleet1", "mallory"), "{\"v\":1,\"command\":\"rebirth\"}"u8.ToArray(), retain: false)).IsSuccess);
        }
        await mallory.WaitForAsync(t => t.EndsWith("/cmd/mallory", StringComparison.Ordinal));
        Assert.DoesNotContain(mallory.Received, m => m.Topic.EndsWith("/cmd/d0", StringComparison.Ordinal));
        _ = code;
        // The broker handles one client's packets in order, so once mallory's sentinel is delivered the forged messages
        // (sent earlier) would have been delivered too.
        var sentinel = new FleetEntry { SpaceId = SpaceA.Id, DeviceId = "mallory", Label = "sentinel", Version = 1, Count = 1, Mean = Vector(7) };
        Assert.True((await mallory.PublishAsync(FleetTopics.Prototype("fleet1", SpaceA.Id, "mallory", "sentinel"), codec.Encode(sentinel))).IsSuccess);
        await observer.WaitForAsync(t => t.EndsWith("/proto/mallory/sentinel", StringComparison.Ordinal));

        // Only d0's own entry (version 1, possibly republished by the rebirth command above) ever reached the observer.
        Assert.All(observer.Received.Where(m => m.Topic.EndsWith("/proto/d0/cat", StringComparison.Ordinal)),
            m => Assert.True(codec.TryDecode(m.Payload, out FleetEntry? e, out _) && e.Version == 1));
        Assert.DoesNotContain(observer.Received, m => m.Topic.EndsWith("/status/d0", StringComparison.Ordinal) && m.Payload.Length < 30);
        Assert.True(victim.State.Entries().Single(e => e.DeviceId == "d0").Version == 1);
    }

    private async Task ForbiddenPublishAsync(string topic, byte[] payload)
    {
        await using RawClient mallory = await RawClient.ConnectAsync(Broker.ForDevice("mallory"), "mallory");
        try
        {
            MqttClientPublishResult result = await mallory.PublishAsync(topic, payload);
            Assert.False(result.IsSuccess, $"{Broker.Kind} accepted mallory's publish on {topic}");
        }
        catch (MQTTnet.Exceptions.MqttCommunicationException)
        {
            // Disconnected for the attempt: also a refusal.
        }
    }

    [Fact]
    public async Task Sync_PayloadNamingAnotherDevice_IsDroppedAsForged()
    {
        TestDevice honest = await DeviceAsync("d0");
        await using RawClient mallory = await RawClient.ConnectAsync(Broker.ForDevice("mallory"), "mallory");
        // Allowed topic (mallory's own), validly signed payload of d0 (say, replayed from elsewhere): topic and payload disagree.
        var claim = new FleetEntry { SpaceId = SpaceA.Id, DeviceId = "d0", Label = "cat", Version = 7, Count = 50, Mean = Vector(8) };
        if (await PublishOrRefusedAsync(mallory, FleetTopics.Prototype("fleet1", SpaceA.Id, "mallory", "cat"), TestKeys.Codec("d0").Encode(claim)))
            await WaitForAsync(() => honest.Client.Statistics.DropCount(SyncDropReason.Forged) == 1, honest);
        // Proof that the claim (refused or dropped) is behind us: mallory's own entry, published after it, arrives.
        var own = new FleetEntry { SpaceId = SpaceA.Id, DeviceId = "mallory", Label = "own", Version = 1, Count = 1, Mean = Vector(9) };
        Assert.True((await mallory.PublishAsync(FleetTopics.Prototype("fleet1", SpaceA.Id, "mallory", "own"), TestKeys.Codec("mallory").Encode(own))).IsSuccess);
        await Converge.AllAsync([honest], Converge.Expected([], SpaceA, own));
    }

    [Fact]
    public async Task Sync_ForgedSignatureOrUnknownSigner_IsDroppedEvenFromAnAllPowerfulPublisher()
    {
        TestDevice honest = await DeviceAsync("d0"), peer = await DeviceAsync("d1");
        await peer.LearnAsync("dog", 2, Vector(1));
        // The operator account can write anywhere, like a compromised broker: only the signatures stand in its way.
        await using RawClient op = await RawClient.ConnectAsync(Broker.ForOperator(), "operator-2");
        using var fakeKey = Core.Fleet.EntrySigner.Create("d1");
        var forged = new FleetEntry { SpaceId = SpaceA.Id, DeviceId = "d1", Label = "dog", Version = 50, Count = 1000, Mean = Vector(9) };
        byte[] payload = Core.Fleet.FleetEntryCodec.Encode(forged, Core.Fleet.FleetVectorType.Float32, fakeKey);
        Assert.True((await op.PublishAsync(FleetTopics.Prototype("fleet1", SpaceA.Id, "d1", "dog"), payload)).IsSuccess);
        using var ghostKey = Core.Fleet.EntrySigner.Create("ghost");
        var ghost = new FleetEntry { SpaceId = SpaceA.Id, DeviceId = "ghost", Label = "dog", Version = 1, Count = 1, Mean = Vector(10) };
        Assert.True((await op.PublishAsync(FleetTopics.Prototype("fleet1", SpaceA.Id, "ghost", "dog"),
            Core.Fleet.FleetEntryCodec.Encode(ghost, Core.Fleet.FleetVectorType.Float32, ghostKey))).IsSuccess);
        // A tampered byte in a genuine payload breaks its signature as well.
        byte[] genuine = TestKeys.Codec("d1").Encode(forged with { Version = 51 });
        genuine[^70] ^= 1;
        Assert.True((await op.PublishAsync(FleetTopics.Prototype("fleet1", SpaceA.Id, "d1", "dog"), genuine)).IsSuccess);

        await WaitForAsync(() => honest.Client.Statistics.DropCount(SyncDropReason.Forged) == 2
            && honest.Client.Statistics.DropCount(SyncDropReason.Unsigned) == 1, honest);
        await Converge.AllAsync([honest], Converge.Expected([peer], SpaceA));
        // The forged retained copy overwrote d1's on the broker; d1 sees it, drops it and republishes its own (self-heal),
        // so a device joining now still converges.
        TestDevice late = await DeviceAsync("d5");
        await Converge.AllAsync([late], Converge.Expected([peer], SpaceA));
    }

    /// <summary>
    /// Publishes content a device must not put on its own topic: the embedded broker refuses it (it checks what a device
    /// retains), a plain mosquitto delivers it and every device must drop it. Returns whether it was delivered.
    /// </summary>
    private async Task<bool> PublishOrRefusedAsync(RawClient client, string topic, byte[] payload)
    {
        MqttClientPublishResult result = await client.PublishAsync(topic, payload);
        if (Broker.Kind.StartsWith("embedded", StringComparison.Ordinal))
            Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, result.ReasonCode);
        else
            Assert.True(result.IsSuccess, $"{Broker.Kind}: {result.ReasonCode}");
        return result.IsSuccess;
    }

    /// <summary>Waits for a condition over counters, re-checked whenever one of the devices merges or drops a message.</summary>
    protected static async Task WaitForAsync(Func<bool> condition, params TestDevice[] devices)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check()
        {
            if (condition())
                done.TrySetResult();
        }
        EventHandler<Client.MessageDroppedEventArgs> onDrop = (_, _) => Check();
        EventHandler<Client.FleetStateChangedEventArgs> onChange = (_, _) => Check();
        foreach (TestDevice d in devices)
        {
            d.Client.MessageDropped += onDrop;
            d.Client.StateChanged += onChange;
        }
        try
        {
            Check();
            await done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"condition not met within 10 s; stats: {string.Join("; ", devices.Select(d => d.Id + " " + string.Join(",", d.Client.Statistics.Drops)))}");
        }
        finally
        {
            foreach (TestDevice d in devices)
            {
                d.Client.MessageDropped -= onDrop;
                d.Client.StateChanged -= onChange;
            }
        }
    }
}
