using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;
using EdgeCL.Storage.Errors;
using EdgeCL.Storage.State;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace EdgeCL.Storage.Tests.State;

public sealed class CorruptionTests(ITestOutputHelper output) : IDisposable
{
    private static readonly EmbeddingSpace Space = new("badd15c0", 256);
    private readonly TempFolder _folder = new();
    private string Db => _folder.File("state.db");

    public void Dispose() => _folder.Dispose();

    /// <summary>A database of ~100 pages, checkpointed (no WAL left) so the main file holds everything.</summary>
    private byte[] Populated()
    {
        var memory = new PrototypeMemory(Space, new PrototypeMemoryOptions { Centring = CentringMode.None });
        var rng = new Random(3);
        for (int c = 0; c < 300; c++)
            memory.Add($"class-{c}", Enumerable.Range(0, 256).Select(_ => (float)rng.NextDouble()).ToArray());
        using (StateStore store = StateStore.Open(Db, Space, "dev"))
            store.Commit(memory, null, [[1, 2, 3]]);
        Assert.False(File.Exists(Db + "-wal") && new FileInfo(Db + "-wal").Length > 0);
        return File.ReadAllBytes(Db);
    }

    private StateStoreException AssertOneLineRefusal(Action open)
    {
        var ex = Assert.Throws<StateStoreException>(open);
        output.WriteLine(ex.Message);
        Assert.True(ex.Failure is StateStoreFailure.Corrupt or StateStoreFailure.NotStateDatabase, ex.Failure.ToString());
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Contains("move", ex.Message); // says what to do
        return ex;
    }

    [Fact]
    public void Open_EveryTruncation_RefusedWithWhatToDo()
    {
        byte[] full = Populated();
        int page = 4096;
        var lengths = new SortedSet<int> { 1, 50, 99, 100, 101, page - 1, page, page + 1, full.Length / 2, full.Length - page, full.Length - 1 };
        for (int n = 2 * page; n < full.Length; n += 7 * page + 13)
            lengths.Add(n);
        foreach (int length in lengths)
        {
            File.WriteAllBytes(Db, full.AsSpan(0, length).ToArray());
            AssertOneLineRefusal(() => StateStore.Open(Db, Space, "dev").Dispose());
        }
    }

    [Fact]
    public void Open_OverwrittenPages_RefusedAsCorrupt()
    {
        byte[] full = Populated();
        var rng = new Random(5);
        // Garbage over an interior b-tree page and over the schema page.
        foreach (int pageIndex in new[] { 0, 1, full.Length / 4096 / 2 })
        {
            byte[] damaged = (byte[])full.Clone();
            int start = pageIndex == 0 ? 100 : pageIndex * 4096;
            rng.NextBytes(damaged.AsSpan(start, 4096 - (start % 4096)));
            File.WriteAllBytes(Db, damaged);
            AssertOneLineRefusal(() =>
            {
                using StateStore store = StateStore.Open(Db, Space, "dev");
                store.LoadMemory(new PrototypeMemoryOptions { MaxClasses = 1000 });
                store.LoadFleetState();
            });
        }
    }

    [Fact]
    public void Open_RandomBytes_NotStateDatabase()
    {
        byte[] junk = new byte[8192];
        new Random(1).NextBytes(junk);
        File.WriteAllBytes(Db, junk);
        StateStoreException ex = AssertOneLineRefusal(() => StateStore.Open(Db, Space, "dev"));
        Assert.Equal(StateStoreFailure.NotStateDatabase, ex.Failure);
    }

    [Fact]
    public void Open_ForeignSqliteDatabase_RefusedAndLeftUntouched()
    {
        using (var connection = new SqliteConnection($"Data Source={Db};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE photos (id INTEGER PRIMARY KEY); INSERT INTO photos VALUES (1);";
            command.ExecuteNonQuery();
        }
        byte[] before = File.ReadAllBytes(Db);
        var ex = Assert.Throws<StateStoreException>(() => StateStore.Open(Db, Space, "dev"));
        Assert.Equal(StateStoreFailure.NotStateDatabase, ex.Failure);
        Assert.Equal(before, File.ReadAllBytes(Db));
        Assert.False(File.Exists(Db + "-wal"));
    }

    [Fact]
    public void Open_NewerSchema_AsksToUpgrade()
    {
        StateStore.Open(Db, Space, "dev").Dispose();
        using (var connection = new SqliteConnection($"Data Source={Db};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE meta SET value = 99 WHERE key = 'schema_version'";
            command.ExecuteNonQuery();
        }
        var ex = Assert.Throws<StateStoreException>(() => StateStore.Open(Db, Space, "dev"));
        Assert.Equal(StateStoreFailure.UnsupportedSchema, ex.Failure);
        Assert.Contains("upgrade", ex.Message);
    }

    [Fact]
    public void LoadMemory_DamagedMeanRow_CorruptNamingTheClass()
    {
        Populated();
        using (var connection = new SqliteConnection($"Data Source={Db};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE prototypes SET mean = x'0000' WHERE label = 'class-7'";
            command.ExecuteNonQuery();
        }
        using StateStore store = StateStore.Open(Db, Space, "dev");
        var ex = Assert.Throws<StateStoreException>(() => store.LoadMemory());
        Assert.Equal(StateStoreFailure.Corrupt, ex.Failure);
        Assert.Contains("class-7", ex.Message);
    }

    /// <summary>A state from before the tables added after schema version 1, as an older edgecl wrote it.</summary>
    private void DropAddedTables()
    {
        using var connection = new SqliteConnection($"Data Source={Db};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DROP TABLE exemplars; DROP TABLE examples; PRAGMA wal_checkpoint(TRUNCATE);";
        command.ExecuteNonQuery();
    }

    [Fact]
    public void Older_state_with_a_damaged_row_is_refused_and_left_byte_identical()
    {
        // The state-store fuzz target found it: the open created the tables added since, then loading refused a row,
        // so a refused file had been written to. Now those tables are created by the first write that needs them.
        Populated();
        DropAddedTables();
        using (var connection = new SqliteConnection($"Data Source={Db};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE prototypes SET mean = x'0000' WHERE label = 'class-7'; PRAGMA wal_checkpoint(TRUNCATE);";
            command.ExecuteNonQuery();
        }
        byte[] before = File.ReadAllBytes(Db);
        using (StateStore store = StateStore.Open(Db, Space, "dev"))
        {
            Assert.Throws<StateStoreException>(() => store.LoadMemory());
            Assert.False(store.HasExample("x"));
            Assert.Equal(0, store.LoadExemplars().Count);
        }
        Assert.Equal(before, File.ReadAllBytes(Db));
    }

    [Fact]
    public void Older_state_gets_the_added_tables_at_its_first_write()
    {
        Populated();
        DropAddedTables();
        using (StateStore store = StateStore.Open(Db, Space, "dev"))
        {
            PrototypeMemory memory = store.LoadMemory();
            memory.Add("class-0", new float[256]);
            store.Commit(memory, ["class-0"], [], ("file-1", "class-0"));
            Assert.True(store.HasExample("file-1"));
        }
        using (StateStore again = StateStore.Open(Db, Space, "dev"))
            Assert.True(again.HasExample("file-1"));
    }

    [Fact]
    public void State_in_rollback_mode_is_switched_to_wal_only_by_its_first_write()
    {
        // A restored sqlite3 .backup is in rollback mode; so is a file with a damaged header. Switching at open rewrote
        // the header of files that loading then refused (found by the state-store fuzz target).
        Populated();
        using (var connection = new SqliteConnection($"Data Source={Db};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode = DELETE; UPDATE prototypes SET mean = x'0000' WHERE label = 'class-7';";
            command.ExecuteNonQuery();
        }
        byte[] before = File.ReadAllBytes(Db);
        using (StateStore store = StateStore.Open(Db, Space, "dev"))
            Assert.Throws<StateStoreException>(() => store.LoadMemory());
        Assert.Equal(before, File.ReadAllBytes(Db));

        using (var connection = new SqliteConnection($"Data Source={Db};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM prototypes WHERE label = 'class-7'";
            command.ExecuteNonQuery();
        }
        using (StateStore store = StateStore.Open(Db, Space, "dev"))
        {
            PrototypeMemory memory = store.LoadMemory();
            memory.Add("class-7", new float[256]);
            store.Commit(memory, ["class-7"]);
        }
        using (var connection = new SqliteConnection($"Data Source={Db};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode";
            Assert.Equal("wal", command.ExecuteScalar());
        }
    }
}
