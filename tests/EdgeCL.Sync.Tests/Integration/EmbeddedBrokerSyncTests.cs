using EdgeCL.Sync.Tests.Brokers;

namespace EdgeCL.Sync.Tests.Integration;

/// <summary>The sync contract on the in-process MQTTnet broker.</summary>
public sealed class EmbeddedBrokerSyncTests : SyncContractTests
{
    protected override IBrokerHarness CreateBroker() => new EmbeddedBrokerHarness();
}
