using EdgeCL.Core.Errors;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;
using EdgeCL.Storage.Errors;
using EdgeCL.Storage.Files;
using Microsoft.Data.Sqlite;

namespace EdgeCL.Storage.State;

/// <summary>Opening: identifying the file before anything is written, WAL and synchronous=FULL, the schema.</summary>
public sealed partial class StateStore
{
    private void Initialise()
    {
        Execute(null, $"PRAGMA busy_timeout = {(long)_options.BusyTimeout.TotalMilliseconds}");
        if (_options.ExclusiveLocking)
        {
            // Before the first read: SQLite then keeps the WAL index in this process's memory instead of the -shm file
            // (https://www.sqlite.org/wal.html#noshm), which a full disk has no room to create.
            Execute(null, "PRAGMA locking_mode = EXCLUSIVE");
        }
        // Identify the file before changing anything, so a foreign database is never switched to WAL or written to.
        long tables = (long)Scalar("SELECT count(*) FROM sqlite_master")!;
        long applicationId = (long)Scalar("PRAGMA application_id")!;
        if (tables > 0 && applicationId != Schema.ApplicationId)
            throw new StateStoreException(StateStoreFailure.NotStateDatabase,
                $"'{Path}' is an SQLite database but not an EdgeCL state database; pass another path or move the file aside.");
        // A file EdgeCL wrote is in WAL mode already. Another one (a restored sqlite3 .backup, a damaged header) is switched
        // at its first write, not here: the switch rewrites the header, and loading may still refuse the file.
        _walPending = !string.Equals((string)Scalar("PRAGMA journal_mode")!, "wal", StringComparison.OrdinalIgnoreCase);
        // Checked before the WAL switch below: a damaged page 1 can read as a database with no tables, and switching it
        // would rewrite the header of a file that is then refused (the state-store fuzz target found one, 2026-12-07).
        if (_options.VerifyOnOpen)
        {
            string check = (string)Scalar("PRAGMA quick_check(1)")!;
            if (check != "ok")
                throw Corrupt(check);
        }
        if (tables == 0)
            SwitchToWal();
        // FULL: every commit flushes the WAL, so an acknowledged change survives power loss (NORMAL would not).
        Execute(null, "PRAGMA synchronous = FULL");
        if (tables == 0)
        {
            CreateSchema();
            Execute(null, Schema.CreateExemplars);
            _hasExamplesTable = _hasExemplarsTable = true;
            return;
        }
        long schema = MetaInt("schema_version");
        if (schema > Schema.Version)
            throw new StateStoreException(StateStoreFailure.UnsupportedSchema,
                $"State database '{Path}' has schema version {schema}; this build reads version {Schema.Version}: upgrade edgecl.");
        if (schema != Schema.Version)
            throw Corrupt($"schema version {schema} is unknown");
        long dimension = MetaInt("dimension");
        if (dimension is < 1 or > EmbeddingSpace.MaxDimension)
            throw Corrupt($"meta dimension {dimension} is out of range");
        var stored = new EmbeddingSpace(MetaText("space_id"), (int)dimension);
        Space.EnsureSame(stored, $"State database '{Path}'");
        string device = MetaText("device_id");
        if (device != DeviceId)
            throw new StateStoreException(StateStoreFailure.WrongDevice,
                $"State database '{Path}' belongs to device '{device}', not '{DeviceId}'; use device id '{device}' or another database file.");
        // Tables added after version 1 are created by the first write that needs them, not here: loading may still refuse
        // the file (a damaged row), and a refused file is never written to (the state-store fuzz target checks it).
        _hasExamplesTable = Scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'examples'") is not null;
        _hasExemplarsTable = Scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'exemplars'") is not null;
    }

    /// <summary>
    /// Catches truncation that SQLite itself would miss: SQLite has no page checksums, so a file cut inside its last
    /// page can read back as valid rows with missing bytes zeroed.
    /// </summary>
    private static void CheckFileHeader(string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists || file.Length == 0)
            return; // SQLite creates a new database in an empty file
        // A power cut inside the first start (SQLite writes page 1 under a rollback journal while switching the new file
        // to WAL) can leave that page torn or zeroed; SQLite rolls the hot journal back on open, so judge the file after it.
        var journal = new FileInfo(path + "-journal");
        if (journal.Exists && journal.Length > 0)
            return;
        string what = $"State database '{path}'";
        const string Fix = "move it aside and restore a backup, or delete it to start a new state (the fleet resends its entries)";
        Span<byte> header = stackalloc byte[100];
        int read;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StateStoreException(StateStoreFailure.CannotOpen, $"{what} cannot be read ({ex.Message}); check the path and permissions.", ex);
        }
        if (read < header.Length)
            throw new StateStoreException(StateStoreFailure.Corrupt, $"{what} is truncated to {file.Length} bytes, shorter than an SQLite header; {Fix}.");
        if (!header[..16].SequenceEqual("SQLite format 3\0"u8))
            throw new StateStoreException(StateStoreFailure.NotStateDatabase, $"'{path}' is not an SQLite database, so not an EdgeCL state database; pass another path or move the file aside.");
        // Header fields are big-endian: page size at 16 (1 means 65536), page count at 28, valid when 24..27 equals 92..95.
        int pageSize = (header[16] << 8) | header[17];
        if (pageSize == 1)
            pageSize = 65536;
        var wal = new FileInfo(path + "-wal");
        if (pageSize < 512 || (wal.Exists && wal.Length > 0))
            return; // an unusual header or pending WAL frames: leave the judgement to SQLite's recovery and quick_check
        long pages = ((long)header[28] << 24) | ((long)header[29] << 16) | ((long)header[30] << 8) | header[31];
        bool countValid = header[24..28].SequenceEqual(header[92..96]);
        if (file.Length % pageSize != 0 || (countValid && file.Length < pages * pageSize))
            throw new StateStoreException(StateStoreFailure.Corrupt,
                $"{what} is truncated ({file.Length} bytes, expected {(countValid ? pages * pageSize : file.Length / pageSize * pageSize + pageSize)}); {Fix}.");
    }

    /// <summary>Begins a write transaction, first switching the file to WAL if it was not (see <see cref="Initialise"/>).</summary>
    private SqliteTransaction BeginWrite()
    {
        if (_walPending)
            SwitchToWal();
        return _connection.BeginTransaction();
    }

    private void SwitchToWal()
    {
        string mode = (string)Scalar("PRAGMA journal_mode = WAL")!;
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            throw new StateStoreException(StateStoreFailure.CannotOpen,
                $"State database '{Path}' cannot use write-ahead logging (journal mode stays '{mode}'); put it on a local file system.");
        _walPending = false;
    }

    private void CreateSchema()
    {
        using SqliteTransaction transaction = BeginWrite();
        Execute(transaction, $"PRAGMA application_id = {Schema.ApplicationId}; PRAGMA user_version = {Schema.Version};");
        Execute(transaction, Schema.Create);
        Execute(transaction,
            "INSERT INTO meta (key, value) VALUES ('schema_version', $sv), ('space_id', $id), ('dimension', $d), ('device_id', $dev), ('created', $c)",
            ("$sv", Schema.Version), ("$id", Space.Id), ("$d", Space.Dimension), ("$dev", DeviceId),
            ("$c", _options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds()));
        transaction.Commit();
    }
}
