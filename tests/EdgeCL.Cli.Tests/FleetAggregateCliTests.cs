using EdgeCL.Core.Fleet;
using EdgeCL.Core.Fleet.Aggregation;
using EdgeCL.Core.Vectors;
using EdgeCL.Sync.Broker;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Payloads;
using EdgeCL.Sync.State;
using EdgeCL.Sync.Topics;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeCL.Cli.Tests;

/// <summary><c>edgecl fleet aggregator-key</c>, <c>fleet aggregate --once</c> and <c>fleet audit</c> through Program.Main.</summary>
public sealed class FleetAggregateCliTests : IDisposable
{
    private static readonly EmbeddingSpace Space = new("c2c2", 4);
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-aggregate-cli-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Aggregate_PublishesWhatAuditConfirms_AndAuditCatchesAForgedAggregate()
    {
        string keys = Path.Combine(_dir, "keys"), trust = Path.Combine(_dir, "trust");
        Assert.Equal(ExitCodes.Success, CliHarness.Run("fleet", "aggregator-key", "agg1", "--out", keys).Code);
        Assert.Equal(ExitCodes.Usage, CliHarness.Run("fleet", "aggregator-key", "agg1", "--out", keys).Code); // never overwritten
        Directory.CreateDirectory(Path.Combine(trust, "aggregators"));
        File.Copy(Path.Combine(keys, "agg1.pem"), Path.Combine(trust, "aggregators", "agg1.pem"));

        await using var broker = new EmbeddedBroker(new EmbeddedBrokerOptions
        {
            Port = 0,
            Users = [BrokerUser.WithPassword("d0", "pw-d0"), BrokerUser.WithPassword("d1", "pw-d1"), BrokerUser.WithPassword("agg1", "pw-agg1"), BrokerUser.WithPassword("ops", "pw-ops", isOperator: true)],
        });
        await broker.StartAsync();
        string url = $"mqtt://127.0.0.1:{broker.Port}";
        foreach ((string device, int seed) in new[] { ("d0", 1), ("d1", 2) })
        {
            using EntrySigner signer = EntrySigner.Create(device);
            File.WriteAllText(Path.Combine(trust, device + ".pem"), signer.ExportPublicKeyPem());
            using var own = new TrustStore();
            own.Add(device, signer.ExportPublicKeyPem());
            await using var client = new FleetSyncClient(new FleetSyncOptions
            {
                Fleet = "fleet1", DeviceId = device, Space = Space,
                Broker = new FleetBrokerOptions { Host = "127.0.0.1", Port = broker.Port, UserName = device, Password = "pw-" + device },
                PublishBundles = device == "d1", // one device per class, one in bundles: the aggregator and the audit read both
            }, new SignedEntryCodec(signer, own), new FleetStateTarget(new FleetState(Space)));
            await client.PublishAsync(new FleetEntry { SpaceId = Space.Id, DeviceId = device, Label = "cat", Version = 1, Count = seed + 1, Mean = [seed, 0, 1, 2] });
            await client.StartAsync();
            await client.WaitUntilConnectedAsync().WaitAsync(TimeSpan.FromSeconds(15));
        }

        var aggregate = CliHarness.Run("fleet", "aggregate", "--once", "--broker", url, "--user", "agg1", "--password", "pw-agg1",
            "--space", Space.Id, "--dim", "4", "--aggregator-key", Path.Combine(keys, "agg1.key"), "--trust", trust);
        Assert.True(aggregate.Code == ExitCodes.Success, aggregate.Err);
        Assert.Contains("2 entries received, 0 dropped, 1 aggregates and 2 receipts published", aggregate.Out);

        string[] audit = ["fleet", "audit", "--broker", url, "--user", "ops", "--password", "pw-ops", "--space", Space.Id, "--dim", "4", "--trust", trust, "--quiet-ms", "300"];
        var clean = CliHarness.Run(audit);
        Assert.True(clean.Code == ExitCodes.Success, clean.Out + clean.Err);
        Assert.Contains("2 verified entries, 1 aggregates, 0 refused", clean.Out);
        Assert.Contains("match", clean.Out);

        // The aggregator's key is stolen: a validly signed aggregate with the right versions and another mean.
        using EntrySigner stolen = EntrySigner.FromPem("agg1", File.ReadAllText(Path.Combine(keys, "agg1.key")));
        var state = new FleetState(Space);
        state.Merge(new FleetEntry { SpaceId = Space.Id, DeviceId = "d0", Label = "cat", Version = 1, Count = 2, Mean = [1, 0, 1, 2] });
        state.Merge(new FleetEntry { SpaceId = Space.Id, DeviceId = "d1", Label = "cat", Version = 1, Count = 3, Mean = [2, 0, 1, 2] });
        FleetAggregate honest = FleetAggregation.Build(state, "cat", "agg1")!;
        byte[] forged = FleetAggregateCodec.Encode(honest with { Mean = [9, 9, 9, 9] }, stolen);
        using (IMqttClient ops = new MqttClientFactory().CreateMqttClient())
        {
            await ops.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port).WithCredentials("ops", "pw-ops").WithClientId("ops-test").Build());
            await ops.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(FleetTopics.Aggregate("fleet1", Space.Id, "agg1", "cat")).WithPayload(forged)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag().Build());
            await ops.DisconnectAsync();
        }
        var caught = CliHarness.Run(audit);
        Assert.Equal(ExitCodes.Failure, caught.Code);
        Assert.Contains("mismatch", caught.Out);
        Assert.Single(caught.Err.Trim().Split('\n'));
        Assert.Contains("do not match their contributions", caught.Err);
    }
}
