using EdgeCL.Sync.Client;

namespace EdgeCL.Sync.Tests.Brokers;

/// <summary>A broker under test that can be killed and brought back on the same port.</summary>
public interface IBrokerHarness : IAsyncDisposable
{
    /// <summary>"embedded" or "mosquitto".</summary>
    string Kind { get; }

    /// <summary>The listening port (stable across restarts).</summary>
    int Port { get; }

    /// <summary>Starts the broker.</summary>
    Task StartAsync();

    /// <summary>Kills the broker (mosquitto: SIGKILL; embedded: stop, which persists retained messages).</summary>
    Task KillAsync();

    /// <summary>Connection settings for a device (user name = device id).</summary>
    FleetBrokerOptions ForDevice(string device);

    /// <summary>Connection settings for the operator account.</summary>
    FleetBrokerOptions ForOperator();
}
