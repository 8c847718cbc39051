using EdgeCL.Sync.Tests.Brokers;

namespace EdgeCL.Sync.Tests.Integration;

/// <summary>The sync contract on a real mosquitto with ops/mosquitto/acl and a password file.</summary>
public sealed class MosquittoSyncTests : SyncContractTests
{
    protected override IBrokerHarness CreateBroker() => new MosquittoHarness();
}
