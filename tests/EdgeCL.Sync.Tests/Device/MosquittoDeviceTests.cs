using EdgeCL.Sync.Tests.Brokers;

namespace EdgeCL.Sync.Tests.Device;

/// <summary>The device contract on a real mosquitto with ops/mosquitto/acl and a password file.</summary>
public sealed class MosquittoDeviceTests : FleetDeviceContractTests
{
    protected override IBrokerHarness CreateBroker() => new MosquittoHarness();
}
