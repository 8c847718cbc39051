using EdgeCL.Core.Fleet;
using static EdgeCL.Sync.Tests.Integration.MosquittoBridgeTests;

namespace EdgeCL.Sync.Tests.Integration;

/// <summary>The fleet story the cluster and partition tests tell: what every device teaches, and what two groups of devices change while they cannot see each other.</summary>
internal static class FleetScenario
{
    /// <summary>Every device contributes to one shared class ("cat") and owns one of its own ("own{i}").</summary>
    public static async Task TeachAsync(TestDevice[] devices)
    {
        for (int i = 0; i < devices.Length; i++)
        {
            await devices[i].LearnAsync("cat", 1 + i, Vector(10 + i));
            await devices[i].LearnAsync($"own{i}", 1, Vector(20 + i));
        }
    }

    /// <summary>While apart, each side changes the shared class again, one device of each side forgets or adds a class.</summary>
    public static async Task ChangeApartAsync(TestDevice[] one, TestDevice[] other)
    {
        await one[0].LearnAsync("cat", 9, Vector(40));
        await one[1].ForgetAsync(one[1].Latest.Keys.First(k => k.StartsWith("own", StringComparison.Ordinal)));
        await other[0].LearnAsync("cat", 5, Vector(41));
        await other[1].LearnAsync("fox", 2, Vector(42));
    }

    /// <summary>The entries the devices have written so far, as the fleet sees them.</summary>
    public static FleetEntry[] Snapshot(TestDevice[] devices) => [.. devices.SelectMany(d => d.Latest.Values)];
}
