using EdgeCL.Sync.Broker;
using EdgeCL.Sync.Client;

namespace EdgeCL.Sync.Tests.Brokers;

/// <summary>The in-process broker on a free loopback port, with retained messages persisted to a temp folder.</summary>
public sealed class EmbeddedBrokerHarness : IBrokerHarness
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("edgecl-embedded-").FullName;
    private EmbeddedBroker? _broker;

    public string Kind => "embedded";

    public int Port { get; private set; }

    public string DataDirectory => _dataDir;

    public EmbeddedBroker Broker => _broker ?? throw new InvalidOperationException("not started");

    public async Task StartAsync()
    {
        // Port 0 on the first start; the same port afterwards so clients reconnect to it.
        _broker = new EmbeddedBroker(new EmbeddedBrokerOptions { Port = Port, Users = TestUsers.All(), DataDirectory = _dataDir, PersistDelay = TimeSpan.FromMilliseconds(20) });
        await _broker.StartAsync();
        Port = _broker.Port;
    }

    public async Task KillAsync()
    {
        if (_broker is not null)
            await _broker.DisposeAsync();
        _broker = null;
    }

    public FleetBrokerOptions ForDevice(string device) =>
        new() { Host = "127.0.0.1", Port = Port, UserName = device, Password = TestUsers.Password(device) };

    public FleetBrokerOptions ForOperator() =>
        new() { Host = "127.0.0.1", Port = Port, UserName = TestUsers.Operator, Password = TestUsers.Password(TestUsers.Operator) };

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }
}
