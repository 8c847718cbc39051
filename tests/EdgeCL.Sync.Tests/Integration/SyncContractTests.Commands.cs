using EdgeCL.Sync.Client;
using EdgeCL.Sync.Commands;
using EdgeCL.Sync.Operator;
using EdgeCL.Sync.Topics;

namespace EdgeCL.Sync.Tests.Integration;

// Signed commands through every broker: acted on once, replays and unsigned commands counted, state unchanged.
public abstract partial class SyncContractTests
{
    [Fact]
    public async Task Commands_SignedOnceActedOn_ReplayedAndUnsignedAreCountedAndIgnored()
    {
        TestDevice d = await DeviceAsync("d0");
        await d.LearnAsync("cat", 2, Vector(1));
        var received = new List<FleetCommand>();
        d.Client.CommandReceived += (_, e) => { lock (received) received.Add(e.Command); };
        string topic = FleetTopics.Command("fleet1", "d0");
        byte[] signed = SignedCommands.Sign(new FleetCommand(FleetCommandKind.ForgetClass, "d0", Label: "cat"), "fleet1", TestKeys.Operator, DateTimeOffset.UtcNow.AddMinutes(1));
        byte[] unsigned = new FleetCommand(FleetCommandKind.ForgetClass, "d0", Label: "cat").ToPayload();
        await using (RawClient op = await RawClient.ConnectAsync(Broker.ForOperator(), "operator-4"))
        {
            foreach (byte[] payload in new[] { signed, signed, unsigned })
                Assert.True((await op.PublishAsync(topic, payload, retain: false)).IsSuccess);
        }
        await PollAsync(() => d.Client.CommandsRejected[CommandRejectReason.Replayed] == 1 && d.Client.CommandsRejected[CommandRejectReason.Unsigned] == 1);
        lock (received)
            Assert.Equal([new FleetCommand(FleetCommandKind.ForgetClass, "d0", Label: "cat")], received.Select(c => c with { Nonce = null }));
        Assert.Equal(0, d.Client.CommandsRejected[CommandRejectReason.Forged] + d.Client.CommandsRejected[CommandRejectReason.Expired]);
    }

    [Fact]
    public async Task Commands_SentRetainedToAnOfflineDevice_AreActedOnOnceWhenItConnects_AndQuietAfterReconnects()
    {
        TestDevice d = await DeviceAsync("d0", start: false);
        string nonces = Path.Combine(Path.GetTempPath(), $"edgecl-nonces-{Guid.NewGuid():N}");
        d.CommandNoncePath = nonces;
        try
        {
            byte[] signed = SignedCommands.Sign(new FleetCommand(FleetCommandKind.ResetAdaptation, "d0"), "fleet1", TestKeys.Operator, DateTimeOffset.UtcNow.AddMinutes(5));
            await using (RawClient op = await RawClient.ConnectAsync(Broker.ForOperator(), "operator-5"))
                Assert.True((await op.PublishAsync(FleetTopics.Command("fleet1", "d0"), signed, retain: true)).IsSuccess);
            for (int session = 0; session < 2; session++)
            {
                var received = new List<FleetCommand>();
                d.Client.CommandReceived += (_, e) => { lock (received) received.Add(e.Command); };
                await d.StartAsync();
                if (session == 0)
                {
                    await PollAsync(() => { lock (received) return received.Count == 1; });
                    await d.GoOfflineAsync(); // a restart: a new client over the same state folder
                }
                else
                {
                    await PollAsync(() => d.Client.CommandsRedelivered == 1);
                    lock (received)
                        Assert.Empty(received); // acted on once, not again after the restart
                }
            }
            Assert.All(d.Client.CommandsRejected.Values, count => Assert.Equal(0, count));
        }
        finally
        {
            File.Delete(nonces);
            await using RawClient clear = await RawClient.ConnectAsync(Broker.ForOperator(), "operator-6");
            await clear.PublishAsync(FleetTopics.Command("fleet1", "d0"), [], retain: true);
        }
    }

    [Fact]
    public async Task Commands_SentToAnOfflineDevice_ArePendingUntilItActsOnceAndAcknowledges_ThenTheOperatorClearsThem()
    {
        TestDevice d = await DeviceAsync("d0", start: false);
        var received = new List<FleetCommand>();
        d.Client.CommandReceived += (_, e) => { lock (received) received.Add(e.Command); };
        var view = new FleetView("fleet1");
        await using var watcher = new FleetWatcher(Broker.ForOperator(), view, "operator-7");
        await watcher.StartAsync(CancellationToken.None);
        // Two commands while d0 is offline: each has its own retained slot, so the second does not replace the first.
        SignedCommand forget = await watcher.SendAsync(new FleetCommand(FleetCommandKind.ForgetClass, "d0", Label: "cat"), TestKeys.Operator, TimeSpan.FromMinutes(5), CancellationToken.None);
        SignedCommand reset = await watcher.SendAsync(new FleetCommand(FleetCommandKind.ResetAdaptation, "d0"), TestKeys.Operator, TimeSpan.FromMinutes(5), CancellationToken.None);
        Assert.All(view.Snapshot().Commands, c => Assert.Equal("pending", c.State));

        await d.StartAsync();
        await PollAsync(() => view.Snapshot().Commands is { Count: 2 } c && c.All(x => x.State == "done" && !x.Retained));
        // Once each; retained topics come back in no defined order, so neither do commands queued for an offline device.
        lock (received)
            Assert.Equal([forget.Command with { Nonce = forget.Id }, reset.Command with { Nonce = reset.Id }], received.OrderBy(c => c.Kind)); // the nonce is what is acknowledged
        Assert.Equal(new HashSet<string> { forget.Id, reset.Id }, d.Client.AcknowledgedCommands.ToHashSet());

        // Cleared: a late subscriber finds no retained command, and the device's next connect has nothing to redeliver.
        await using RawClient late = await RawClient.ConnectAsync(Broker.ForOperator(), "operator-8");
        Assert.Equal(MQTTnet.MqttClientSubscribeResultCode.GrantedQoS1, await late.SubscribeAsync(FleetTopics.AllCommandsFilter("fleet1")));
        await d.GoOfflineAsync();
        await d.StartAsync();
        await Task.Delay(300);
        Assert.Empty(late.Received);
        Assert.Equal(0, d.Client.CommandsRedelivered);
        lock (received)
            Assert.Equal(2, received.Count);
    }
}
