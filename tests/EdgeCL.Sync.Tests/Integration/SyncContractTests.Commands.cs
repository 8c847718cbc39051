using EdgeCL.Sync.Client;
using EdgeCL.Sync.Commands;
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
            Assert.Equal([new FleetCommand(FleetCommandKind.ForgetClass, "d0", Label: "cat")], received);
        Assert.Equal(0, d.Client.CommandsRejected[CommandRejectReason.Forged] + d.Client.CommandsRejected[CommandRejectReason.Expired]);
    }
}
