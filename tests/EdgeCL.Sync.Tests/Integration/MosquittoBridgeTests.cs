using EdgeCL.Core.Vectors;
using EdgeCL.Sync.Tests.Brokers;

namespace EdgeCL.Sync.Tests.Integration;

/// <summary>Two real mosquittos joined by the shipped bridge configuration: a site broker and a central one.</summary>
public sealed class MosquittoBridgeTests
{
    private static readonly EmbeddingSpace Space = new("b71d9e0000000001", 8);

    [Fact]
    public async Task Bridge_DevicesOnTwoBrokers_ConvergeToTheSameFleetState()
    {
        await using var central = new MosquittoHarness();
        await central.StartAsync();
        await using var site = new MosquittoHarness(bridgeToPort: central.Port);
        await site.StartAsync();
        await using var atSite = new TestDevice(site, "d0", Space);
        await using var atCentral = new TestDevice(central, "d1", Space);
        await atSite.StartAsync();
        await atCentral.StartAsync();

        await atSite.LearnAsync("cat", 3, Vector(1));
        await atCentral.LearnAsync("cat", 5, Vector(2));
        await atCentral.LearnAsync("dog", 2, Vector(3));
        await atSite.ForgetAsync("cat");
        await Converge.AllAsync([atSite, atCentral], Converge.Expected([atSite, atCentral], Space));

        // A device that joins the central broker later gets the site device's retained entries through the bridge.
        await using var late = new TestDevice(central, "d2", Space);
        await late.StartAsync();
        await Converge.AllAsync([late], Converge.Expected([atSite, atCentral], Space));
    }

    private static float[] Vector(int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, 8).Select(_ => (float)rng.NextDouble()).ToArray();
    }
}
