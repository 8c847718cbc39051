using EdgeCL.Core.Fleet;
using EdgeCL.Core.Fleet.Signing;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;
using EdgeCL.Storage.State;
using EdgeCL.Sync.Outbox;
using EdgeCL.Sync.Payloads;
using EdgeCL.Sync.Tests.Integration;

namespace EdgeCL.Sync.Tests.Unit;

public sealed class StateStoreOutboxTests : IDisposable
{
    private static readonly EmbeddingSpace Space = new("a1a1", 4);
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-outbox-").FullName;

    private string PathOf => Path.Combine(_dir, "state.db");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Commit_SeveralVersionsOfOneClass_CoalescedAndAcknowledgedUpToThePublishedVersion()
    {
        using StateStore store = StateStore.Open(PathOf, Space, "d0");
        var outbox = new StateStoreOutbox(store, TestKeys.Codec("d0"));
        Assert.True(outbox.WhenDrainedAsync().IsCompleted);
        var memory = new PrototypeMemory(Space);
        var committed = new List<FleetEntry>();
        for (int i = 0; i < 3; i++)
        {
            memory.Add("cat", [i, 1, 2, 3]);
            committed.Add(outbox.Commit(memory, ["cat"])[0].Entry);
        }
        // Coalesced on disk: one row per class, the newest.
        Assert.Equal(1, outbox.PendingRows);
        Assert.Equal(1, store.OutboxCount);
        Task drained = outbox.WhenDrainedAsync();
        Assert.False(drained.IsCompleted);
        FleetEntry pending = Assert.Single(await outbox.PendingAsync(10));
        Assert.Equal(3, pending.Version);

        await outbox.MarkPublishedAsync(committed[1]);
        Assert.Equal(1, store.OutboxCount);
        Assert.False(drained.IsCompleted);
        await outbox.AddAsync(committed[2]); // already committed with the change: no second row
        Assert.Equal(1, store.OutboxCount);
        await outbox.MarkPublishedAsync(committed[2]);
        Assert.Equal(0, store.OutboxCount);
        await drained.WaitAsync(TimeSpan.FromSeconds(5));
        await Assert.ThrowsAsync<ArgumentException>(async () => await outbox.AddAsync(committed[0]));
    }

    [Fact]
    public void Commit_SeveralClassesAtOnce_AnnouncedUnderOneBatchSignature_EachRowVerifyingAlone()
    {
        using StateStore store = StateStore.Open(PathOf, Space, "d0");
        using var signer = EntrySigner.Create("d0"); // its own key: the signature count is this test's alone
        using var trust = new TrustStore();
        trust.Add("d0", signer.ExportPublicKeyPem());
        var codec = new SignedEntryCodec(signer, trust);
        var outbox = new StateStoreOutbox(store, codec);
        var memory = new PrototypeMemory(Space);
        foreach (string label in new[] { "cat", "dog", "owl" })
            memory.Add(label, [1, 2, 3, label.Length]);
        long signed = signer.SignatureCount;
        IReadOnlyList<(FleetEntry Entry, byte[]? Payload)> committed = outbox.Commit(memory, ["cat", "dog", "owl"]);
        Assert.Equal(1, signer.SignatureCount - signed);
        Assert.Equal(3, store.OutboxCount);
        long checks = codec.Roots.SignatureChecks;
        foreach ((FleetEntry entry, byte[]? payload) in committed)
        {
            Assert.True(SignedPayload.IsBatch(payload));
            Assert.True(codec.TryDecode(payload, out FleetEntry? decoded, out _));
            Assert.Equal(0, FleetEntryOrder.Compare(entry, decoded));
        }
        Assert.Equal(1, codec.Roots.SignatureChecks - checks); // the other two hit the verified root
        // Reopened, the stored rows decode as this device's announcements (nothing discarded).
        var reopened = new StateStoreOutbox(store, codec);
        Assert.Equal(0, reopened.DiscardedRows);
        Assert.Equal(3, reopened.PendingRows);
    }

    [Fact]
    public async Task Open_SeveralRowsOfOneClassFromAnOlderVersion_AreCoalescedToTheNewest()
    {
        using (StateStore store = StateStore.Open(PathOf, Space, "d0"))
        {
            var memory = new PrototypeMemory(Space);
            memory.Add("cat", [1, 2, 3, 4]);
            store.Commit(memory, ["cat"], null);
            FleetEntry v1 = FleetEntryFactory.ForLabel("d0", memory, "cat");
            store.AppendOutbox([.. new[] { 1L, 3, 2 }.Select(v => TestKeys.Codec("d0").Encode(v1 with { Version = v }))]); // rows as an older build left them
        }
        using (StateStore store = StateStore.Open(PathOf, Space, "d0"))
        {
            var outbox = new StateStoreOutbox(store, TestKeys.Codec("d0"));
            Assert.Equal(1, outbox.PendingRows);
            Assert.Equal(1, store.OutboxCount);
            Assert.Equal(3, Assert.Single(await outbox.PendingAsync(10)).Version);
        }
    }

    [Fact]
    public async Task Open_RowsOfAnotherDeviceOrGarbage_DiscardedSoTheDrainCannotStall()
    {
        using (StateStore store = StateStore.Open(PathOf, Space, "d0"))
        {
            var foreign = new FleetEntry { SpaceId = Space.Id, DeviceId = "d1", Label = "x", Version = 1, Count = 1, Mean = [1, 2, 3, 4] };
            store.AppendOutbox([[1, 2, 3], TestKeys.Codec("d1").Encode(foreign)]);
            var memory = new PrototypeMemory(Space);
            memory.Add("cat", [1, 2, 3, 4]);
            store.Commit(memory, ["cat"], [TestKeys.Codec("d0").Encode(FleetEntryFactory.ForLabel("d0", memory, "cat"))]);
        }
        using (StateStore store = StateStore.Open(PathOf, Space, "d0"))
        {
            var outbox = new StateStoreOutbox(store, TestKeys.Codec("d0"));
            Assert.Equal(2, outbox.DiscardedRows);
            Assert.Equal(1, outbox.PendingRows);
            Assert.Equal("cat", Assert.Single(await outbox.LatestAsync()).Label);
            Assert.True(outbox.TryGetLatestPayload("cat", out _, out byte[]? payload));
            Assert.True(TestKeys.Codec("d0").TryDecode(payload, out FleetEntry? decoded, out _));
            Assert.Equal(1, decoded.Version);
        }
    }
}
