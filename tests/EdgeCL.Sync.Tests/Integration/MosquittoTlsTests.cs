using EdgeCL.Core.Vectors;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Tests.Brokers;

namespace EdgeCL.Sync.Tests.Integration;

/// <summary>mosquitto with the TLS listener of ops/mosquitto: certificates from make-certs.sh, CN = user name, the fleet ACL.</summary>
public sealed class MosquittoTlsTests : IAsyncLifetime
{
    private static readonly EmbeddingSpace Space = new("a1a1", 8);
    private readonly MosquittoHarness _broker = new(tls: true);

    public Task InitializeAsync() => _broker.StartAsync();

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task Tls_DevicesWithFleetCertificates_ConvergeAndAclAppliesToCertificateName()
    {
        await using var a = new TestDevice(_broker, "d0", Space);
        await using var b = new TestDevice(_broker, "d1", Space);
        await a.StartAsync();
        await b.StartAsync();
        await a.LearnAsync("cat", 2, [1, 2, 3, 4, 5, 6, 7, 8]);
        await b.LearnAsync("dog", 3, [8, 7, 6, 5, 4, 3, 2, 1]);
        await Converge.AllAsync([a, b], Converge.Expected([a, b], Space));

        // mallory's certificate says CN=mallory: writing under d0 is refused (PUBACK error or disconnect).
        await using RawClient mallory = await RawClient.ConnectAsync(_broker.ForDevice("mallory"), "mallory");
        try
        {
            var result = await mallory.PublishAsync(Topics.FleetTopics.Prototype("fleet1", Space.Id, "d0", "cat"), TestKeys.Codec("d0").Encode(a.Latest["cat"] with { Version = 9 }));
            Assert.False(result.IsSuccess);
        }
        catch (MQTTnet.Exceptions.MqttCommunicationException)
        {
        }
    }

    [Fact]
    public async Task Tls_ClientWithoutCertificate_IsRefused()
    {
        FleetBrokerOptions noCert = _broker.ForDevice("d0") with { ClientCertificatePath = null, ClientKeyPath = null };
        await using var client = new FleetSyncClient(new FleetSyncOptions { Fleet = "fleet1", DeviceId = "d0", Space = Space, Broker = noCert, ConnectTimeout = TimeSpan.FromSeconds(2) },
            TestKeys.Codec("d0"), new LockedState(Space));
        await client.StartAsync();
        await Assert.ThrowsAsync<TimeoutException>(() => client.WaitUntilConnectedAsync().WaitAsync(TimeSpan.FromSeconds(3)));
        Assert.Equal(0, client.Statistics.Connects);
    }
}
