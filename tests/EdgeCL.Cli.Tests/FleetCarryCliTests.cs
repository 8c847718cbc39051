using EdgeCL.Core.Fleet;
using EdgeCL.Core.Rollout;
using EdgeCL.Core.Vectors;
using EdgeCL.Sync.Broker;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Outbox;
using EdgeCL.Sync.Payloads;
using EdgeCL.Sync.State;

namespace EdgeCL.Cli.Tests;

/// <summary><c>edgecl fleet carry</c> through Program.Main on the embedded broker: what only the old space holds reaches
/// the new space, mapped exactly, as the carrier's signed entries, once the devices that held it are decommissioned;
/// nothing else is carried; <c>--undo</c> retracts it.</summary>
public sealed class FleetCarryCliTests : IDisposable
{
    private static readonly EmbeddingSpace Old = new("a1a1", 4), New = new("b2b2", 4);
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-carry-cli-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    // The new backbone's space relates to the old one by y = 2·R·x + b with R a signed permutation: a map Procrustes
    // recovers exactly from the calibration pairs, so the carried mean can be checked against it.
    private static float[] Truth(ReadOnlySpan<float> x) => [2 * x[2] + 1, -2 * x[0], 2 * x[3] - 1, -2 * x[1] + 0.5f];

    [Fact]
    public async Task Carry_MapsTheClassesOnlyTheOldSpaceHolds_IntoTheNewSpace_AndUndoRetractsThem()
    {
        string keys = Path.Combine(_dir, "keys"), trust = Path.Combine(_dir, "trust"), calibration = Path.Combine(_dir, "old.eccal");
        Assert.Equal(ExitCodes.Success, CliHarness.Run("fleet", "carrier-key", "carrier", "--out", keys).Code);
        Directory.CreateDirectory(trust);
        var random = new Random(5);
        float[] source = [.. Enumerable.Range(0, 20 * 4).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        float[] target = [.. Enumerable.Range(0, 20).SelectMany(i => Truth(source.AsSpan(i * 4, 4)))];
        File.WriteAllBytes(calibration, CalibrationPairs.Create(Old, New, source, target).Encode());

        await using var broker = new EmbeddedBroker(new EmbeddedBrokerOptions
        {
            Port = 0,
            Users = [BrokerUser.WithPassword("d0", "pw"), BrokerUser.WithPassword("d7", "pw"), BrokerUser.WithPassword("d8", "pw"), BrokerUser.WithPassword("d9", "pw"), BrokerUser.WithPassword("ops", "pw-ops", isOperator: true)],
        });
        await broker.StartAsync();
        var signers = new[] { "d0", "d7", "d8", "d9" }.ToDictionary(d => d, EntrySigner.Create);
        foreach ((string id, EntrySigner signer) in signers)
            File.WriteAllText(Path.Combine(trust, id + ".pem"), signer.ExportPublicKeyPem());
        string[] login = ["--broker", $"mqtt://127.0.0.1:{broker.Port}", "--user", "ops", "--password", "pw-ops", "--calibration", calibration, "--trust", trust,
            "--carrier-key", Path.Combine(keys, "carrier.key"), "--quiet-ms", "300"];

        // The carrier's key is not in the trust folder yet: devices would refuse what it carries, so nothing is read or sent.
        var untrusted = CliHarness.Run(["fleet", "carry", .. login]);
        Assert.Equal(ExitCodes.Usage, untrusted.Code);
        Assert.Contains("no carrier.pem", untrusted.Err);
        File.Copy(Path.Combine(keys, "carrier.pem"), Path.Combine(trust, "carrier.pem"));

        // d8 and d9 went offline for good, their entries left in the old space: "right" lives only there; "left" moved
        // with d0. d7 still runs the old space, online, with "up".
        string carrierPem = File.ReadAllText(Path.Combine(keys, "carrier.pem"));
        await (await PublishAsync(broker, signers["d9"], Old, carrierPem, ("right", 3, [1, 2, 3, 4]), ("left", 2, [0, 1, 0, 1]))).Client.DisposeAsync();
        await (await PublishAsync(broker, signers["d8"], Old, carrierPem, ("right", 1, [5, -2, 1, 0]))).Client.DisposeAsync();
        (FleetSyncClient running, _) = await PublishAsync(broker, signers["d7"], Old, carrierPem, ("up", 5, [1, 1, 1, 1]));
        await using FleetSyncClient d7 = running;

        // No device runs the new space yet: nothing would read what is carried there.
        var early = CliHarness.Run(["fleet", "carry", .. login]);
        Assert.Equal(ExitCodes.Failure, early.Code);
        Assert.Contains($"no device's status names space {New.Id}", early.Err);
        (FleetSyncClient client, FleetStateTarget d0) = await PublishAsync(broker, signers["d0"], New, carrierPem, ("left", 2, [3, 3, 3, 3]));
        await using FleetSyncClient stays = client;

        // Their last statuses still name the old space, so their classes are left to them, as d7's.
        var held = CliHarness.Run(["fleet", "carry", .. login]);
        Assert.True(held.Code == ExitCodes.Success, held.Out + held.Err);
        Assert.Contains($"not carried 'right' (d8, d9): the status of d8, d9 still names space {Old.Id}", held.Out);
        Assert.Contains($"not carried 'up' (d7): the status of d7 still names space {Old.Id}", held.Out);
        Assert.Contains("nothing carried: 3 class(es) are left to devices that still name space", held.Out); // right, up and d9's share of left

        string[] broker1 = ["--broker", $"mqtt://127.0.0.1:{broker.Port}", "--user", "ops", "--password", "pw-ops", "--quiet-ms", "300"];
        var online = CliHarness.Run(["fleet", "decommission", "--devices", "d7,d8", .. broker1]);
        Assert.Equal(ExitCodes.Failure, online.Code);
        Assert.Contains("d7 is online: a running device is not decommissioned", online.Err);
        var gone = CliHarness.Run(["fleet", "decommission", "--devices", "d8,d9", .. broker1]);
        Assert.True(gone.Code == ExitCodes.Success, gone.Out + gone.Err);
        Assert.Contains($"d8: status cleared (it last ran space {Old.Id})", gone.Out); // the refused run cleared nothing
        Assert.Contains($"d9: status cleared (it last ran space {Old.Id})", gone.Out);

        var dry = CliHarness.Run(["fleet", "carry", .. login, "--dry-run"]);
        Assert.True(dry.Code == ExitCodes.Success, dry.Out + dry.Err);
        Assert.Contains("carry 'right' (d8, d9): n=4 → carrier v1", dry.Out);
        // d0 moved "left" itself; d9's share of it is gone with d9 unless carried.
        Assert.Contains("carry 'left' (d9): n=2 → carrier v1", dry.Out);
        Assert.Contains("not carried 'up' (d7)", dry.Out);
        Assert.Contains("dry run: 2 entries not published.", dry.Out);

        var carried = CliHarness.Run(["fleet", "carry", .. login]);
        Assert.True(carried.Code == ExitCodes.Success, carried.Out + carried.Err);
        Assert.Contains($"carried 2 class(es) in space {New.Id} as carrier.", carried.Out);
        // The device in the new space holds the old fleet's merge of "right", mapped: (3·μ9 + 1·μ8) / 4 = (2, 1, 2.5, 3).
        AssertCarried(await EntryAsync(d0, "right", e => !e.IsTombstone), 4, [2, 1, 2.5f, 3]);
        AssertCarried(await EntryAsync(d0, "left", e => !e.IsTombstone), 2, [0, 1, 0, 1]);

        var again = CliHarness.Run(["fleet", "carry", .. login]);
        Assert.True(again.Code == ExitCodes.Success, again.Out + again.Err);
        Assert.DoesNotContain("  carry '", again.Out); // carried already, as it is
        Assert.Contains("nothing carried: 1 class(es) are left to devices that still name space", again.Out); // d7's "up"

        // d9 comes back after all and moves its "right" itself: the next run carries d8's share alone; then d8 too.
        (FleetSyncClient back9, _) = await PublishAsync(broker, signers["d9"], New, carrierPem, ("right", 3, [9, 9, 9, 9]));
        await using FleetSyncClient d9 = back9;
        var reconciled = CliHarness.Run(["fleet", "carry", .. login]);
        Assert.True(reconciled.Code == ExitCodes.Success, reconciled.Out + reconciled.Err);
        Assert.Contains("carry 'right' (d8): n=1 → carrier v2", reconciled.Out);
        Assert.DoesNotContain("carry 'left'", reconciled.Out);
        AssertCarried(await EntryAsync(d0, "right", e => e.Version == 2), 1, [5, -2, 1, 0]);
        (FleetSyncClient back8, _) = await PublishAsync(broker, signers["d8"], New, carrierPem, ("right", 1, [8, 8, 8, 8]));
        await using FleetSyncClient d8 = back8;
        var bothBack = CliHarness.Run(["fleet", "carry", .. login]);
        Assert.True(bothBack.Code == ExitCodes.Success, bothBack.Out + bothBack.Err);
        Assert.Contains("retract 'right': d8, d9 moved it themselves; carrier v3 (tombstone)", bothBack.Out);
        Assert.Contains($"retracted 1 class(es) in space {New.Id} as carrier.", bothBack.Out);
        Assert.True((await EntryAsync(d0, "right", e => e.IsTombstone)).Version == 3);

        var undone = CliHarness.Run(["fleet", "carry", .. login, "--undo"]);
        Assert.True(undone.Code == ExitCodes.Success, undone.Out + undone.Err);
        Assert.Contains("retract 'left': carrier v2 (tombstone)", undone.Out);
        Assert.DoesNotContain("'right'", undone.Out);
        Assert.True((await EntryAsync(d0, "left", e => e.IsTombstone)).Version == 2);

        // A damaged calibration file: one line, nothing published.
        byte[] bytes = File.ReadAllBytes(calibration);
        bytes[^40] ^= 1;
        File.WriteAllBytes(calibration, bytes);
        var damaged = CliHarness.Run(["fleet", "carry", .. login]);
        Assert.Equal(ExitCodes.Usage, damaged.Code);
        Assert.Contains("damaged or truncated", damaged.Err);
        Assert.Single(damaged.Err.Trim().Split('\n'));
    }

    // Publishes a device's entries retained (one flush) and returns its connected client once the broker has them all.
    private static async Task<(FleetSyncClient Client, FleetStateTarget State)> PublishAsync(EmbeddedBroker broker, EntrySigner signer, EmbeddingSpace space, string carrierPem,
        params (string Label, long Count, float[] Mean)[] classes)
    {
        var trust = new TrustStore();
        trust.Add(signer.DeviceId, signer.ExportPublicKeyPem());
        trust.Add("carrier", carrierPem); // as copied into every device's trust folder
        var outbox = new MemoryFleetOutbox();
        var state = new FleetStateTarget(new FleetState(space));
        var client = new FleetSyncClient(new FleetSyncOptions
        {
            Fleet = "fleet1", DeviceId = signer.DeviceId, Space = space,
            Broker = new FleetBrokerOptions { Host = "127.0.0.1", Port = broker.Port, UserName = signer.DeviceId, Password = "pw" },
        }, new SignedEntryCodec(signer, trust), state, outbox);
        await client.PublishBatchAsync([.. classes.Select(c => new FleetEntry { SpaceId = space.Id, DeviceId = signer.DeviceId, Label = c.Label, Version = 1, Count = c.Count, Mean = c.Mean })]);
        await client.StartAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (outbox.PendingCount > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{signer.DeviceId}'s entries were not published");
            await Task.Delay(20);
        }
        return (client, state);
    }

    private static void AssertCarried(FleetEntry entry, long count, float[] oldMean)
    {
        Assert.Equal(count, entry.Count);
        float[] expected = Truth(oldMean);
        for (int j = 0; j < expected.Length; j++)
            Assert.Equal(expected[j], entry.Mean[j], 3);
    }

    private static async Task<FleetEntry> EntryAsync(FleetStateTarget device, string label, Func<FleetEntry, bool> wanted)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            lock (device.SyncRoot)
                if (device.State.TryGetEntry("carrier", label, out FleetEntry? entry) && wanted(entry))
                    return entry;
            Assert.True(DateTime.UtcNow < deadline, $"the device in the new space did not receive the carrier's entry of '{label}'");
            await Task.Delay(25);
        }
    }
}
