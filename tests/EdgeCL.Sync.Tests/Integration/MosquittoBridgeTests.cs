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

    [Fact]
    public async Task Bridge_SiteBrokerKilledAndRestarted_DevicesRebirthAndConvergeWithoutCountingTwice()
    {
        await using var central = new MosquittoHarness();
        await central.StartAsync();
        await using var site = new MosquittoHarness(bridgeToPort: central.Port);
        await site.StartAsync();
        // Devices spread over both brokers.
        await using TestDevice s0 = new(site, "d0", Space), s1 = new(site, "d1", Space), c2 = new(central, "d2", Space), c3 = new(central, "d3", Space);
        TestDevice[] all = [s0, s1, c2, c3];
        foreach (TestDevice d in all)
            await d.StartAsync();
        for (int i = 0; i < all.Length; i++)
        {
            await all[i].LearnAsync("cat", 1 + i, Vector(10 + i)); // every device contributes to the same class
            await all[i].LearnAsync($"own{i}", 1, Vector(20 + i));
        }
        await Converge.AllAsync(all, Converge.Expected(all, Space));

        // The site broker dies (no persistence: its retained copies are gone) and the bridge with it; the centre goes on.
        await site.KillAsync();
        await c2.LearnAsync("cat", 9, Vector(30));
        await c3.ForgetAsync("own3");
        await site.StartAsync();
        // Site devices reconnect and rebirth (through the bridge to the centre); the re-established bridge brings the
        // centre's retained entries back to the site.
        await Converge.AllAsync(all, Converge.Expected(all, Space), TimeSpan.FromSeconds(30));

        // Exact, not double-counted: the merged cat is the count-weighted mean of the four latest contributions, and
        // nothing arrived that a device had to drop; identical copies were only counted as redelivered.
        Assert.All(all, d => Assert.Equal(0, d.Client.Statistics.Drops.Values.Sum()));
        Assert.True(all.Sum(d => d.Client.Statistics.Redelivered) > 0);
        Assert.Equal(1 + 2 + 9 + 4, s0.State.Entries().Where(e => e.Label == "cat").Sum(e => e.Count));
    }

    internal static float[] Vector(int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, 8).Select(_ => (float)rng.NextDouble()).ToArray();
    }
}
