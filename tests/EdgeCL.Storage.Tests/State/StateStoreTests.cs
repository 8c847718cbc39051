using EdgeCL.Core.Errors;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Serialization;
using EdgeCL.Core.Vectors;
using EdgeCL.Storage.Errors;
using EdgeCL.Storage.State;

namespace EdgeCL.Storage.Tests.State;

public sealed class StateStoreTests : IDisposable
{
    private static readonly EmbeddingSpace Space = new("5ace0001", 4);
    private readonly TempFolder _folder = new();
    private string Db => _folder.File("state.db");

    public void Dispose() => _folder.Dispose();

    private static PrototypeMemory Sample()
    {
        var memory = new PrototypeMemory(Space);
        memory.Add("yes", [1, 0, 0, 0]);
        memory.Add("yes", [0, 1, 0, 0]);
        memory.Add("no", [0, 0, 1, 0]);
        memory.Add("gone", [0, 0, 0, 1]);
        memory.Forget("gone");
        return memory;
    }

    [Fact]
    public void LoadMemory_AfterCommitAndReopen_SameMemory()
    {
        PrototypeMemory memory = Sample();
        using (StateStore store = StateStore.Open(Db, Space, "dev"))
            store.Commit(memory, changedLabels: null);
        using (StateStore store = StateStore.Open(Db, Space, "dev"))
            Assert.Equal(PrototypeMemorySerializer.Serialize(memory), PrototypeMemorySerializer.Serialize(store.LoadMemory()));
    }

    [Fact]
    public void Commit_ChangedLabelsOnly_WritesThoseClassesAndTombstones()
    {
        using StateStore store = StateStore.Open(Db, Space, "dev");
        var memory = new PrototypeMemory(Space);
        memory.Add("a", [1, 0, 0, 0]);
        memory.Add("b", [0, 1, 0, 0]);
        store.Commit(memory, ["a", "b"]);
        memory.Add("a", [1, 1, 0, 0]);
        memory.Forget("b");
        store.Commit(memory, ["a", "b"]);
        PrototypeMemory back = store.LoadMemory();
        Assert.Equal(PrototypeMemorySerializer.Serialize(memory), PrototypeMemorySerializer.Serialize(back));
        memory.Clear();
        store.Commit(memory, ["a", "b"]);
        back = store.LoadMemory();
        Assert.Equal(0, back.ClassCount);
        Assert.Empty(back.Tombstones);
    }

    [Fact]
    public void Commit_SuppliedCentre_Restored()
    {
        var options = new PrototypeMemoryOptions { Centring = CentringMode.Supplied };
        var memory = new PrototypeMemory(Space, options);
        memory.SetCentre([0.5f, 0.5f, 0.5f, 0.5f]);
        memory.Add("a", [1, 0, 0, 0]);
        using StateStore store = StateStore.Open(Db, Space, "dev");
        store.Commit(memory, null);
        Assert.Equal(memory.Centre.ToArray(), store.LoadMemory(options).Centre.ToArray());
    }

    [Fact]
    public void Commit_OutboxInSameTransaction_PendingUntilAcknowledged()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-01-02T03:04:05Z", System.Globalization.CultureInfo.InvariantCulture));
        using StateStore store = StateStore.Open(Db, Space, "dev", new StateStoreOptions { TimeProvider = clock });
        PrototypeMemory memory = Sample();
        IReadOnlyList<long> seqs = store.Commit(memory, ["yes"], [[1, 2, 3], [4]]);
        Assert.Equal(2, seqs.Count);
        Assert.True(seqs[0] < seqs[1]);
        IReadOnlyList<OutboxMessage> pending = store.PendingOutbox();
        Assert.Equal(seqs, pending.Select(m => m.Sequence));
        Assert.Equal([1, 2, 3], pending[0].Payload);
        Assert.Equal(clock.GetUtcNow(), pending[0].Created);
        Assert.True(store.AcknowledgeOutbox(seqs[0]));
        Assert.False(store.AcknowledgeOutbox(seqs[0]));
        Assert.Equal(1, store.OutboxCount);
        Assert.Equal(1, store.AcknowledgeOutbox([seqs[1], 999]));
        Assert.Empty(store.PendingOutbox());
        // Sequence numbers are never reused after acknowledgement.
        Assert.True(store.Commit(memory, null, [[9]])[0] > seqs[1]);
    }

    [Fact]
    public void Commit_BadPayload_ThrowsAndWritesNothing()
    {
        using StateStore store = StateStore.Open(Db, Space, "dev");
        PrototypeMemory memory = Sample();
        Assert.Throws<ArgumentException>(() => store.Commit(memory, null, [[1], null!]));
        Assert.Throws<ArgumentException>(() => store.Commit(memory, null, [[]]));
        Assert.Throws<ArgumentException>(() => store.Commit(memory, null, [new byte[FleetLimits.MaxPayloadBytes + 1]]));
        Assert.Equal(0, store.LoadMemory().ClassCount);
        Assert.Equal(0, store.OutboxCount);
    }

    [Fact]
    public void Commit_MemoryOfOtherSpace_Throws()
    {
        using StateStore store = StateStore.Open(Db, Space, "dev");
        Assert.Throws<EmbeddingException>(() => store.Commit(new PrototypeMemory(new EmbeddingSpace("5ace0002", 4)), null));
    }

    [Fact]
    public void Open_DatabaseOfOtherSpace_RefusesWithOneLine()
    {
        StateStore.Open(Db, Space, "dev").Dispose();
        var ex = Assert.Throws<EmbeddingException>(() => StateStore.Open(Db, new EmbeddingSpace("5ace0002", 4), "dev"));
        Assert.Contains("cannot be mixed", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Throws<EmbeddingException>(() => StateStore.Open(Db, Space with { Dimension = 8 }, "dev"));
    }

    [Fact]
    public void Open_DatabaseOfOtherDevice_RefusesNamingTheOwner()
    {
        StateStore.Open(Db, Space, "dev").Dispose();
        var ex = Assert.Throws<StateStoreException>(() => StateStore.Open(Db, Space, "other"));
        Assert.Equal(StateStoreFailure.WrongDevice, ex.Failure);
        Assert.Contains("'dev'", ex.Message);
    }

    [Fact]
    public void Open_Folder_RefusesWithHint()
    {
        var ex = Assert.Throws<StateStoreException>(() => StateStore.Open(_folder.Path, Space, "dev"));
        Assert.Contains("file path", ex.Message);
    }

    [Fact]
    public void Open_MissingFolder_CannotOpen()
    {
        var ex = Assert.Throws<StateStoreException>(() => StateStore.Open(_folder.File("no/such/dir/state.db"), Space, "dev"));
        Assert.Equal(StateStoreFailure.CannotOpen, ex.Failure);
    }

    [Fact]
    public void Open_NewDatabase_WalAndFullSync()
    {
        using StateStore store = StateStore.Open(Db, Space, "dev");
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Db};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", command.ExecuteScalar());
        command.CommandText = "SELECT value FROM meta WHERE key = 'device_id'";
        Assert.Equal("dev", command.ExecuteScalar());
    }

    [Fact]
    public void SaveFleetEntry_OnlyNewerOrWinningEntriesReplace()
    {
        using StateStore store = StateStore.Open(Db, Space, "dev");
        FleetEntry v2 = Entry("peer", "yes", 2, 3, 0.5f);
        Assert.True(store.SaveFleetEntry(v2));
        Assert.False(store.SaveFleetEntry(v2));
        Assert.False(store.SaveFleetEntry(Entry("peer", "yes", 1, 9, 0.9f)));
        // Same version, different content: the store keeps the same winner as FleetState.
        FleetEntry rival = Entry("peer", "yes", 2, 3, 0.75f);
        Assert.Equal(FleetEntryOrder.Supersedes(rival, v2), store.SaveFleetEntry(rival));
        Assert.True(store.SaveFleetEntry(Entry("peer", "yes", 3, 0, 0)));
        StoredFleetEntry stored = Assert.Single(store.LoadFleetEntries());
        Assert.True(stored.Entry.IsTombstone);
    }

    [Fact]
    public void SaveFleetEntry_WithPayload_PayloadKeptAndStillVerifies()
    {
        using EntrySigner peer = EntrySigner.Create("peer");
        using var trust = new TrustStore();
        trust.Add("peer", peer.ExportPublicKeyPem());
        FleetEntry entry = Entry("peer", "yes", 4, 2, 0.25f);
        byte[] payload = FleetEntryCodec.Encode(entry, FleetVectorType.Float16, peer);
        FleetState state = new(Space);
        FleetReceipt receipt = state.Receive(payload, trust);
        using (StateStore store = StateStore.Open(Db, Space, "dev"))
            Assert.True(store.SaveFleetEntry(receipt.Entry!, payload));
        using (StateStore store = StateStore.Open(Db, Space, "dev"))
        {
            StoredFleetEntry stored = Assert.Single(store.LoadFleetEntries());
            Assert.Equal(payload, stored.Payload);
            Assert.Equal(SignatureStatus.Valid, trust.VerifyPayload("peer", stored.Payload!));
        }
    }

    [Fact]
    public void SaveFleetEntry_PayloadOfAnotherEntry_Throws()
    {
        using EntrySigner peer = EntrySigner.Create("peer");
        byte[] payload = FleetEntryCodec.Encode(Entry("peer", "yes", 4, 2, 0.25f), FleetVectorType.Float32, peer);
        using StateStore store = StateStore.Open(Db, Space, "dev");
        Assert.Throws<ArgumentException>(() => store.SaveFleetEntry(Entry("peer", "yes", 5, 2, 0.25f), payload));
        Assert.Empty(store.LoadFleetEntries());
    }

    [Fact]
    public void SaveFleetEntries_OneInvalid_NothingWritten()
    {
        using StateStore store = StateStore.Open(Db, Space, "dev");
        Assert.Throws<ArgumentException>(() => store.SaveFleetEntries(
            [new(Entry("peer", "yes", 1, 1, 0.1f), null), new(Entry("peer", "no", 1, 1, float.NaN), null)]));
        Assert.Empty(store.LoadFleetEntries());
    }

    [Fact]
    public void LoadFleetState_StoredEntriesPlusOwnClasses_SameAsLiveMerge()
    {
        PrototypeMemory memory = Sample();
        FleetEntry peer = Entry("peer", "yes", 7, 2, 0.5f);
        var live = new FleetState(Space);
        live.Merge(peer);
        foreach (FleetEntry own in FleetEntryFactory.All("dev", memory))
            live.Merge(own);
        using (StateStore store = StateStore.Open(Db, Space, "dev"))
        {
            store.Commit(memory, null);
            store.SaveFleetEntry(peer);
        }
        using (StateStore store = StateStore.Open(Db, Space, "dev"))
        {
            FleetState loaded = store.LoadFleetState();
            Assert.True(live.ContentEquals(loaded));
            Assert.Equal(1, store.LoadFleetState(includeOwnEntries: false).EntryCount);
        }
    }

    [Fact]
    public void Commit_OtherProcessHoldsWriteLock_BusyAfterTimeout()
    {
        using StateStore store = StateStore.Open(Db, Space, "dev", new StateStoreOptions { BusyTimeout = TimeSpan.FromMilliseconds(200) });
        using var other = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Db};Pooling=False");
        other.Open();
        using var hold = other.BeginTransaction(); // BEGIN IMMEDIATE: holds the write lock
        using (var command = other.CreateCommand())
        {
            command.Transaction = hold;
            command.CommandText = "INSERT INTO tombstones (label, version) VALUES ('x', 1)";
            command.ExecuteNonQuery();
        }
        var ex = Assert.Throws<StateStoreException>(() => store.Commit(Sample(), null));
        Assert.Equal(StateStoreFailure.Busy, ex.Failure);
        Assert.Contains("BusyTimeout", ex.Message);
        hold.Rollback();
        store.Commit(Sample(), null);
    }

    [Fact]
    public void LoadMemory_MoreClassesThanOption_ThrowsNamingMaxClasses()
    {
        using StateStore store = StateStore.Open(Db, Space, "dev");
        store.Commit(Sample(), null);
        var ex = Assert.Throws<ArgumentException>(() => store.LoadMemory(new PrototypeMemoryOptions { MaxClasses = 1 }));
        Assert.Contains("MaxClasses", ex.Message);
    }

    [Fact]
    public void Dispose_Twice_NoThrowAndCallsAfterThrow()
    {
        StateStore store = StateStore.Open(Db, Space, "dev");
        store.Dispose();
        store.Dispose();
        Assert.Throws<ObjectDisposedException>(() => store.LoadMemory());
    }

    private static FleetEntry Entry(string device, string label, long version, long count, float value) => new()
    {
        SpaceId = Space.Id,
        DeviceId = device,
        Label = label,
        Version = version,
        Count = count,
        Mean = count == 0 ? [] : [value, value, value, value],
    };

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
