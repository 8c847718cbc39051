using System.Text;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Fleet.Aggregation;
using EdgeCL.Core.Vectors;
using EdgeCL.Sync.Broker;
using EdgeCL.Sync.Tests.Brokers;
using EdgeCL.Sync.Tests.Integration;
using EdgeCL.Sync.Topics;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeCL.Sync.Tests.Broker;

/// <summary>The embedded broker's answers to clients that are not EdgeCL devices: mosquitto_pub defaults, wrong passwords, junk (issue #12 item 7).</summary>
public sealed class EmbeddedBrokerEdgeTests : IAsyncLifetime
{
    private static readonly EmbeddingSpace Space = new("a1a1", 8);
    private readonly ListLogger<EmbeddedBroker> _log = new();
    private EmbeddedBroker _broker = null!;

    public async Task InitializeAsync()
    {
        _broker = new EmbeddedBroker(new EmbeddedBrokerOptions { Port = 0, Users = TestUsers.All(), MaxPayloadBytes = 4096 }, _log);
        await _broker.StartAsync();
    }

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    private async Task<(IMqttClient Client, MqttClientConnectResultCode Result)> ConnectAsync(string clientId, string user, string password, MqttProtocolVersion version = MqttProtocolVersion.V500)
    {
        IMqttClient client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", _broker.Port).WithClientId(clientId).WithCredentials(user, password)
            .WithProtocolVersion(version).WithCleanSession(true).WithTimeout(TimeSpan.FromSeconds(5)).Build();
        try
        {
            return (client, (await client.ConnectAsync(options)).ResultCode);
        }
        catch (MQTTnet.Adapter.MqttConnectingFailedException ex)
        {
            // MQTTnet 5 carries the CONNACK code only in the message ("… (BadUserNameOrPassword)").
            return (client, Enum.GetValues<MqttClientConnectResultCode>().Where(c => ex.Message.Contains(c.ToString(), StringComparison.Ordinal))
                .OrderByDescending(c => c.ToString().Length).First());
        }
    }

    [Fact]
    public async Task EmptyClientId_OverMqtt5_IsAssignedAnIdAndLogged()
    {
        (IMqttClient device, MqttClientConnectResultCode result) = await ConnectAsync("", "d0", TestUsers.Password("d0"));
        using (device)
        {
            Assert.Equal(MqttClientConnectResultCode.Success, result);
            // A device's client id is its user name, so the ACL and the one-connection-per-device rule still hold.
            Assert.Contains(_log.Lines, l => l.Contains("assigned client id d0 to user d0", StringComparison.Ordinal));
            Assert.True((await device.PublishAsync(Status("d0"))).IsSuccess);
        }
        (IMqttClient op, MqttClientConnectResultCode opResult) = await ConnectAsync("", TestUsers.Operator, TestUsers.Password(TestUsers.Operator));
        using (op)
        {
            Assert.Equal(MqttClientConnectResultCode.Success, opResult);
            Assert.Contains(_log.Lines, l => l.Contains($"assigned client id {TestUsers.Operator}-", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task EmptyClientId_OverMqtt311_IsAssignedTheDevicesId()
    {
        (IMqttClient device, MqttClientConnectResultCode result) = await ConnectAsync("", "d0", TestUsers.Password("d0"), MqttProtocolVersion.V311);
        using (device)
        {
            Assert.Equal(MqttClientConnectResultCode.Success, result);
            Assert.Contains(_log.Lines, l => l.Contains("assigned client id d0 to user d0", StringComparison.Ordinal));
            // The assigned id is the device's: the ACL still lets it write only its own topics.
            Assert.True((await device.PublishAsync(Status("d0"))).IsSuccess);
        }
    }

    [Fact]
    public async Task WrongPasswordOrForeignClientId_IsRefusedWithALoggedReason()
    {
        (IMqttClient a, MqttClientConnectResultCode wrong) = await ConnectAsync("d0", "d0", "not-the-password");
        a.Dispose();
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, wrong);
        Assert.Contains(_log.Lines, l => l.Contains("user d0", StringComparison.Ordinal) && l.EndsWith("wrong password", StringComparison.Ordinal));
        (IMqttClient b, MqttClientConnectResultCode foreign) = await ConnectAsync("d1", "d0", TestUsers.Password("d0"));
        b.Dispose();
        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, foreign);
        Assert.Contains(_log.Lines, l => l.Contains("client id 'd1' must equal the device's user name 'd0'", StringComparison.Ordinal));
        Assert.Equal(2, _broker.RefusedConnections);
    }

    [Fact]
    public async Task OversizedPublish_IsLoggedAsOversizedNotAsAnAclRefusal()
    {
        (IMqttClient op, _) = await ConnectAsync("op-1", TestUsers.Operator, TestUsers.Password(TestUsers.Operator));
        using (op)
        {
            MqttClientPublishResult result = await op.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("edgecl/v1/fleet1/cmd/d0")
                .WithPayload(new byte[5000]).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
            Assert.Equal(MqttClientPublishReasonCode.QuotaExceeded, result.ReasonCode);
        }
        string line = Assert.Single(_log.Lines, l => l.Contains("edgecl/v1/fleet1/cmd/d0", StringComparison.Ordinal));
        Assert.Contains("5000 bytes is over the 4096-byte limit", line);
        Assert.DoesNotContain("ACL", line);
    }

    [Fact]
    public async Task Device_RetainsOnlyItsOwnEntriesAndStatusOnItsTopics()
    {
        (IMqttClient device, _) = await ConnectAsync("d0", "d0", TestUsers.Password("d0"));
        using (device)
        {
            async Task<MqttClientPublishReasonCode> Put(string topic, byte[] payload)
            {
                MqttClientPublishResult r = await device.PublishAsync(new MqttApplicationMessageBuilder()
                    .WithTopic(topic).WithPayload(payload).WithRetainFlag().WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
                return r.IsSuccess ? MqttClientPublishReasonCode.Success : r.ReasonCode; // NoMatchingSubscribers is a success too
            }
            string cat = FleetTopics.Prototype("fleet1", Space.Id, "d0", "cat");
            var entry = new FleetEntry { SpaceId = Space.Id, DeviceId = "d0", Label = "cat", Version = 1, Count = 1, Mean = new float[8] };

            Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, await Put(cat, Encoding.UTF8.GetBytes("any payload at all")));
            Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, await Put(cat, TestKeys.Codec("d0").Encode(entry with { Label = "dog" })));
            Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, await Put(FleetTopics.Status("fleet1", "d0"), Encoding.UTF8.GetBytes("{\"not\":\"a status\"")));
            Assert.Equal(MqttClientPublishReasonCode.Success, await Put(cat, TestKeys.Codec("d0").Encode(entry)));
            Assert.Equal(MqttClientPublishReasonCode.Success, await Put(FleetTopics.Status("fleet1", "d0"), System.Buffers.BuffersExtensions.ToArray(Status("d0").Payload)));
            Assert.Equal(MqttClientPublishReasonCode.Success, await Put(cat, [])); // clearing its own retained entry
        }
        Assert.Equal(3, _broker.RefusedPublishes);
        Assert.Contains(_log.Lines, l => l.Contains("not a signed fleet entry", StringComparison.Ordinal));
        Assert.Contains(_log.Lines, l => l.Contains("the entry is d0/a1a1/dog, the topic says d0/a1a1/cat", StringComparison.Ordinal));
        Assert.Empty(await _broker.GetRetainedMessagesAsync().ContinueWith(t => t.Result.Where(m => m.Topic.Contains("/proto/", StringComparison.Ordinal)).ToList()));
    }

    [Fact]
    public async Task Aggregator_RetainsOnlyBundlesOfItsOwnAggregates()
    {
        var state = new FleetState(Space);
        state.Merge(new FleetEntry { SpaceId = Space.Id, DeviceId = "d0", Label = "cat", Version = 1, Count = 1, Mean = new float[8] });
        byte[] Signed(string aggregator) => FleetAggregateCodec.Encode(FleetAggregation.Build(state, "cat", aggregator)!, TestKeys.Signer(aggregator));
        (IMqttClient agg1, _) = await ConnectAsync("agg1", "agg1", TestUsers.Password("agg1"));
        using (agg1)
        {
            async Task<MqttClientPublishReasonCode> Put(byte[] payload)
            {
                MqttClientPublishResult r = await agg1.PublishAsync(new MqttApplicationMessageBuilder()
                    .WithTopic(FleetTopics.AggregateBundle("fleet1", Space.Id, "agg1", snapshot: true, 0)).WithPayload(payload).WithRetainFlag()
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
                return r.IsSuccess ? MqttClientPublishReasonCode.Success : r.ReasonCode;
            }
            Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, await Put(Encoding.UTF8.GetBytes("any payload at all")));
            Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, await Put(FleetBundleCodec.Encode([Signed("agg1"), Signed("agg2")])));
            Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, await Put(FleetBundleCodec.Encode([Encoding.UTF8.GetBytes("x")])));
            Assert.Equal(MqttClientPublishReasonCode.Success, await Put(FleetBundleCodec.Encode([Signed("agg1")])));
        }
        Assert.Equal(3, _broker.RefusedPublishes);
        Assert.Contains(_log.Lines, l => l.Contains("not an aggregate bundle", StringComparison.Ordinal));
        Assert.Contains(_log.Lines, l => l.Contains("the bundle holds an aggregate of agg2/a1a1, the topic says agg1/a1a1", StringComparison.Ordinal));
    }

    private static MqttApplicationMessage Status(string device) => new MqttApplicationMessageBuilder().WithTopic(FleetTopics.Status("fleet1", device))
        .WithPayload(new Status.DeviceStatus { Online = true, Space = Space.Id, Session = 1, TimeMs = 1 }.ToPayload())
        .WithRetainFlag().WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
}
