using System.Diagnostics;
using EdgeCL.Core.Vectors;
using EdgeCL.Sync.Broker;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Tests.Brokers;

namespace EdgeCL.Sync.Tests.Integration;

/// <summary>The embedded broker's TLS endpoint with the certificates of ops/mosquitto/make-certs.sh (CN = user name, the fleet ACL).</summary>
public sealed class EmbeddedBrokerTlsTests : IAsyncLifetime
{
    private static readonly EmbeddingSpace Space = new("a1a1", 8);
    private readonly EmbeddedBrokerHarness _broker = new(tls: true);

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

        await using RawClient mallory = await RawClient.ConnectAsync(_broker.ForDevice("mallory"), "mallory");
        var result = await mallory.PublishAsync(Topics.FleetTopics.Prototype("fleet1", Space.Id, "d0", "cat"), TestKeys.Codec("d0").Encode(a.Latest["cat"] with { Version = 9 }));
        Assert.False(result.IsSuccess);
        Assert.True(_broker.Broker.RefusedPublishes >= 1);
    }

    [Fact]
    public async Task Tls_PasswordLoginWithoutCertificate_StillWorks()
    {
        FleetBrokerOptions password = _broker.ForDevice("d0") with { ClientCertificatePath = null, ClientKeyPath = null, UserName = "d0", Password = TestUsers.Password("d0") };
        await using var client = new FleetSyncClient(new FleetSyncOptions { Fleet = "fleet1", DeviceId = "d0", Space = Space, Broker = password, ConnectTimeout = TimeSpan.FromSeconds(3) },
            TestKeys.Codec("d0"), new LockedState(Space));
        await client.StartAsync();
        await client.WaitUntilConnectedAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Tls_CertificateOfAnotherCa_IsRefused()
    {
        string otherPki = Directory.CreateTempSubdirectory("edgecl-other-pki-").FullName;
        try
        {
            using (var p = Process.Start(new ProcessStartInfo("bash", [RepoPaths.Ops("mosquitto", "make-certs.sh"), otherPki, "127.0.0.1", "d0"]) { RedirectStandardOutput = true, RedirectStandardError = true })!)
            {
                await p.StandardError.ReadToEndAsync();
                await p.WaitForExitAsync();
                Assert.Equal(0, p.ExitCode);
            }
            // The broker's certificate is trusted (fleet CA), but the client's comes from a foreign CA.
            FleetBrokerOptions foreign = _broker.ForDevice("d0") with
            {
                ClientCertificatePath = Path.Combine(otherPki, "d0.crt"),
                ClientKeyPath = Path.Combine(otherPki, "d0.key"),
            };
            await using var client = new FleetSyncClient(new FleetSyncOptions { Fleet = "fleet1", DeviceId = "d0", Space = Space, Broker = foreign, ConnectTimeout = TimeSpan.FromSeconds(2) },
                TestKeys.Codec("d0"), new LockedState(Space));
            await client.StartAsync();
            await Assert.ThrowsAsync<TimeoutException>(() => client.WaitUntilConnectedAsync().WaitAsync(TimeSpan.FromSeconds(3)));
            Assert.Equal(0, client.Statistics.Connects);
            Assert.True(_broker.Broker.RefusedConnections >= 1);
        }
        finally
        {
            Directory.Delete(otherPki, recursive: true);
        }
    }

    [Fact]
    public void Tls_CertificateFileNotPem_OneLineError()
    {
        string bad = Path.Combine(Path.GetTempPath(), $"edgecl-bad-{Guid.NewGuid():N}.crt");
        File.WriteAllText(bad, "this is not a certificate\n");
        try
        {
            var ex = Assert.Throws<ArgumentException>(() => new EmbeddedBroker(new EmbeddedBrokerOptions
            {
                Port = 0, TlsCertificatePath = bad, TlsKeyPath = Path.Combine(MosquittoHarness.PkiDirectory, "broker.key"),
            }));
            Assert.DoesNotContain('\n', ex.Message);
            Assert.Contains("make-certs.sh", ex.Message);
            // A key that does not match the certificate is refused too.
            var mismatch = Assert.Throws<ArgumentException>(() => new EmbeddedBroker(new EmbeddedBrokerOptions
            {
                Port = 0, TlsCertificatePath = Path.Combine(MosquittoHarness.PkiDirectory, "broker.crt"), TlsKeyPath = Path.Combine(MosquittoHarness.PkiDirectory, "d0.key"),
            }));
            Assert.DoesNotContain('\n', mismatch.Message);
        }
        finally
        {
            File.Delete(bad);
        }
    }
}
