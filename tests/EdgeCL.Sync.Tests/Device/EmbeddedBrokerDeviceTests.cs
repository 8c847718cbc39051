using EdgeCL.Sync.Tests.Brokers;

namespace EdgeCL.Sync.Tests.Device;

/// <summary>The device contract on the in-process MQTTnet broker.</summary>
public sealed class EmbeddedBrokerDeviceTests : FleetDeviceContractTests
{
    protected override IBrokerHarness CreateBroker() => new EmbeddedBrokerHarness();
}
