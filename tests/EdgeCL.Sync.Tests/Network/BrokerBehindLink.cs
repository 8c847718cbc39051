using EdgeCL.Sync.Client;
using EdgeCL.Sync.Tests.Brokers;

namespace EdgeCL.Sync.Tests.Network;

/// <summary>The same broker, reached through a <see cref="PartitionLink"/>: devices made with it are on the far side of the partition.</summary>
public sealed class BrokerBehindLink(IBrokerHarness broker, PartitionLink link) : IBrokerHarness
{
    public string Kind => broker.Kind;

    public int Port => link.Port;

    public Task StartAsync() => broker.StartAsync();

    public Task KillAsync() => broker.KillAsync();

    public FleetBrokerOptions ForDevice(string device) => broker.ForDevice(device) with { Port = link.Port };

    public FleetBrokerOptions ForOperator() => broker.ForOperator() with { Port = link.Port };

    /// <summary>Owns neither the broker nor the link.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
