using EdgeCL.Sync.Broker;
using EdgeCL.Sync.Client;

namespace EdgeCL.Sync.Tests.Brokers;

/// <summary>The in-process broker on a free loopback port, with retained messages persisted to a temp folder; with <c>tls</c>, the
/// certificates of ops/mosquitto/make-certs.sh and client certificates (CN = user name) instead of passwords.</summary>
public sealed class EmbeddedBrokerHarness(bool tls = false) : IBrokerHarness
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("edgecl-embedded-").FullName;
    private EmbeddedBroker? _broker;

    public string Kind => tls ? "embedded-tls" : "embedded";

    public int Port { get; private set; }

    public string DataDirectory => _dataDir;

    public EmbeddedBroker Broker => _broker ?? throw new InvalidOperationException("not started");

    public async Task StartAsync()
    {
        // Port 0 on the first start; the same port afterwards so clients reconnect to it.
        string pki = tls ? MosquittoHarness.PkiDirectory : "";
        _broker = new EmbeddedBroker(new EmbeddedBrokerOptions
        {
            Port = Port, Users = TestUsers.All(), DataDirectory = _dataDir, PersistDelay = TimeSpan.FromMilliseconds(20),
            TlsCertificatePath = tls ? Path.Combine(pki, "broker.crt") : null,
            TlsKeyPath = tls ? Path.Combine(pki, "broker.key") : null,
            ClientCaPath = tls ? Path.Combine(pki, "ca.crt") : null,
        });
        await _broker.StartAsync();
        Port = _broker.Port;
    }

    public async Task KillAsync()
    {
        if (_broker is not null)
            await _broker.DisposeAsync();
        _broker = null;
    }

    public FleetBrokerOptions ForDevice(string device) => tls
        ? new()
        {
            Host = "127.0.0.1",
            Port = Port,
            CaCertificatePath = Path.Combine(MosquittoHarness.PkiDirectory, "ca.crt"),
            ClientCertificatePath = Path.Combine(MosquittoHarness.PkiDirectory, $"{device}.crt"),
            ClientKeyPath = Path.Combine(MosquittoHarness.PkiDirectory, $"{device}.key"),
        }
        : new() { Host = "127.0.0.1", Port = Port, UserName = device, Password = TestUsers.Password(device) };

    public FleetBrokerOptions ForOperator() => tls ? ForDevice(TestUsers.Operator)
        : new() { Host = "127.0.0.1", Port = Port, UserName = TestUsers.Operator, Password = TestUsers.Password(TestUsers.Operator) };

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }
}
