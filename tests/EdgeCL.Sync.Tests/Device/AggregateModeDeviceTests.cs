using EdgeCL.Core.Fleet;
using EdgeCL.Core.Memory;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Device;
using EdgeCL.Sync.Payloads;
using EdgeCL.Sync.Tests.Brokers;
using EdgeCL.Sync.Tests.Integration;

namespace EdgeCL.Sync.Tests.Device;

/// <summary>A <see cref="FleetDevice"/> in aggregate mode: it learns from aggregates, and keeps them across an offline restart.</summary>
public sealed class AggregateModeDeviceTests
{
    [Fact]
    public async Task AggregateMode_LearnsTheFleetFromAggregates_AndKeepsItAcrossAnOfflineRestart()
    {
        await using var broker = new EmbeddedBrokerHarness();
        await broker.StartAsync();
        await using var harness = new DeviceHarness(broker, AggregationExpect.Space);
        var trusted = new TrustStore();
        trusted.Add("agg1", TestKeys.Signer("agg1").ExportPublicKeyPem());
        FleetSyncOptions ViaAggregates(FleetSyncOptions o) => o with { Receive = FleetReceiveMode.Aggregates, AggregatorKeys = trusted };

        await using var teacher = new TestDevice(broker, "d1", AggregationExpect.Space);
        await teacher.StartAsync();
        await using var aggregator = AggregateDevice.Aggregator(broker, "agg1");
        await aggregator.StartAsync();
        FleetDevice device = await harness.StartAsync("d0", adjust: ViaAggregates);
        await device.LearnAsync("door", Vector(1));
        await device.LearnAsync("door", Vector(2));
        await teacher.LearnAsync("door", 3, Vector(3));
        await teacher.LearnAsync("bell", 2, Vector(4));

        // The fleet as a device merging every entry computes it: d0's and d1's entries.
        var direct = new FleetState(AggregationExpect.Space);
        foreach (FleetEntry e in teacher.Latest.Values.Concat(await device.OwnEntriesAsync()))
            direct.Merge(e);
        string expected = Describe(direct.ToPrototypeMemory());
        await DeviceHarness.WaitForAsync(() => Describe(device.FleetPrototypes()) == expected, [device],
            () => $"expected\n{expected}\nheld\n{Describe(device.FleetPrototypes())}");
        await DeviceHarness.WaitForAsync(() => File.Exists(FleetDevice.AggregatesPath(harness.StatePath("d0"))), [device]);
        await device.DisposeAsync();

        // Offline (the broker is gone): the aggregates file brings back the other device's classes.
        await broker.KillAsync();
        FleetDevice reopened = harness.Open("d0", adjust: ViaAggregates);
        await reopened.LoadOwnEntriesAsync();
        Assert.Equal(expected, Describe(reopened.FleetPrototypes()));

        // A corrupted file is ignored with a warning, never trusted: the device falls back to its own classes.
        await reopened.DisposeAsync();
        string file = FleetDevice.AggregatesPath(harness.StatePath("d0"));
        byte[] bytes = await File.ReadAllBytesAsync(file);
        bytes[^10] ^= 0x55; // inside the last record's signature
        await File.WriteAllBytesAsync(file, bytes);
        FleetDevice tampered = harness.Open("d0", adjust: ViaAggregates);
        await tampered.LoadOwnEntriesAsync();
        Assert.NotEqual(expected, Describe(tampered.FleetPrototypes()));
        Assert.True(tampered.FleetPrototypes().IndexOf("door") >= 0, "its own class must survive");
    }

    [Fact]
    public async Task CappedDevices_BoundAHugeClaim_TakeOnlyAggregatesOfTheirCap_AndCountTheOthers()
    {
        await using var broker = new EmbeddedBrokerHarness();
        await broker.StartAsync();
        await using var harness = new DeviceHarness(broker, AggregationExpect.Space);
        FleetMergePolicy policy = FleetMergePolicy.Capped(2);
        var trusted = new TrustStore();
        foreach (string id in new[] { "agg1", "agg2" })
            trusted.Add(id, TestKeys.Signer(id).ExportPublicKeyPem());

        // d1 is compromised: a valid key, and a claim of a million examples for its vector.
        await using var liar = new TestDevice(broker, "d1", AggregationExpect.Space);
        await liar.StartAsync();
        await using var countWeighted = AggregateDevice.Aggregator(broker, "agg1");
        await using var capped = AggregateDevice.Aggregator(broker, "agg2", policy);
        await countWeighted.StartAsync();
        await capped.StartAsync();
        FleetDevice viaAggregates = await harness.StartAsync("d0", adjust: o => o with { Receive = FleetReceiveMode.Aggregates, AggregatorKeys = trusted, MergePolicy = policy });
        FleetDevice viaEntries = await harness.StartAsync("d2", adjust: o => o with { MergePolicy = policy });
        await viaAggregates.LearnAsync("door", Vector(1));
        await viaAggregates.LearnAsync("door", Vector(2));
        await viaAggregates.LearnAsync("bell", Vector(5));
        await liar.LearnAsync("door", 1_000_000, Vector(3));

        var direct = new FleetState(AggregationExpect.Space, policy);
        foreach (FleetEntry e in liar.Latest.Values.Concat(await viaAggregates.OwnEntriesAsync()))
            direct.Merge(e);
        string expected = Describe(direct.ToPrototypeMemory());
        Assert.Contains("door n=4 ", expected); // min(2, 2) + min(10^6, 2)
        foreach (FleetDevice device in new[] { viaAggregates, viaEntries })
            await DeviceHarness.WaitForAsync(() => Describe(device.FleetPrototypes()) == expected, [viaAggregates, viaEntries],
                () => $"{device.DeviceId}: expected\n{expected}\nheld\n{Describe(device.FleetPrototypes())}");
        // agg1's count-weighted aggregates were refused and counted, never mixed in.
        await DeviceHarness.WaitForAsync(() => viaAggregates.Client.Statistics.DropCount(SyncDropReason.PolicyMismatch) > 0, [viaAggregates]);
        // (Expected can first be reached from the device's own entry alone, before agg2's aggregate of that class and then
        // its receipt arrive; in between the class reads Unconfirmed. So wait for the receipt's state, not an instant.)
        await DeviceHarness.WaitForAsync(() => Describe(viaAggregates.FleetPrototypes()) == expected, [viaAggregates],
            () => $"d0 after the refusal: expected\n{expected}\nheld\n{Describe(viaAggregates.FleetPrototypes())}");
        Assert.Contains(viaAggregates.Client.DroppedTopics, t => t.Reason == SyncDropReason.PolicyMismatch && t.Topic.Contains("/aggs/agg1/", StringComparison.Ordinal)
            && t.Detail.Contains("sync.max_examples_per_device", StringComparison.Ordinal));

        // Reopened offline without the cap: the saved capped aggregates no longer apply, so it answers from its own classes.
        await DeviceHarness.WaitForAsync(() => File.Exists(FleetDevice.AggregatesPath(harness.StatePath("d0"))), [viaAggregates]);
        var ownOnly = new FleetState(AggregationExpect.Space);
        foreach (FleetEntry e in await viaAggregates.OwnEntriesAsync())
            ownOnly.Merge(e);
        await viaAggregates.DisposeAsync();
        await broker.KillAsync();
        FleetDevice reopened = harness.Open("d0", adjust: o => o with { Receive = FleetReceiveMode.Aggregates, AggregatorKeys = trusted });
        await reopened.LoadOwnEntriesAsync();
        Assert.Equal(Describe(ownOnly.ToPrototypeMemory()), Describe(reopened.FleetPrototypes()));
    }

    private static string Describe(PrototypeMemory memory) =>
        string.Join("\n", Enumerable.Range(0, memory.ClassCount).Select(i =>
            $"{memory.LabelAt(i)} n={memory.SummaryAt(i).Count} v={memory.SummaryAt(i).Version} {string.Join(",", memory.MeanAt(i).ToArray().Select(x => BitConverter.SingleToUInt32Bits(x).ToString("x8")))}"));

    private static float[] Vector(int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, AggregationExpect.Space.Dimension).Select(_ => (float)(random.NextDouble() * 2 - 1))];
    }
}
