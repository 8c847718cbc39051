using EdgeCL.Core.Errors;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;
using EdgeCL.Storage.Errors;
using EdgeCL.Storage.Files;
using Microsoft.Data.Sqlite;

namespace EdgeCL.Storage.State;

/// <summary>
/// A device's durable local state in one SQLite file: its prototypes and tombstones, the fleet entries it has
/// received, and the outbox of messages still to publish (design.md §3, "Local state").
/// </summary>
/// <remarks>
/// <para><b>Durability.</b> The database runs in WAL mode with <c>synchronous=FULL</c>: when <see cref="Commit"/>
/// returns, the change is on disk and survives kill -9 and power loss. A commit that fails (disk full, I/O error)
/// writes nothing and leaves the previous state.</para>
/// <para><b>Outbox.</b> Messages announcing a change are written in the same transaction as the change, so a crash
/// can never keep a change and lose its announcement, or announce a change that was not kept. Messages stay until
/// <see cref="AcknowledgeOutbox(long)"/>: delivery is at-least-once, which the idempotent fleet merge absorbs.</para>
/// <para><b>Ownership and threads.</b> Owns one SQLite connection: must be disposed. Not thread-safe: serialise calls.
/// Other processes may open the same file; they wait up to <see cref="StateStoreOptions.BusyTimeout"/> for a lock.</para>
/// </remarks>
public sealed partial class StateStore : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly StateStoreOptions _options;
    private bool _disposed;

    // Tables added after schema version 1 exist in older files only once something is written to them: creating them at
    // open would write to a file that a later check (a damaged row) may still refuse, and a refused file stays unchanged.
    private bool _hasExamplesTable, _hasExemplarsTable;
    private bool _walPending;

    static StateStore()
    {
        // Bind the bundled native SQLite here, statically, rather than through Microsoft.Data.Sqlite's reflection-based
        // lookup, so that trimming and Native AOT keep it.
        SQLitePCL.Batteries_V2.Init();
    }

    private StateStore(string path, EmbeddingSpace space, string deviceId, StateStoreOptions options, SqliteConnection connection)
    {
        Path = path;
        Space = space;
        DeviceId = deviceId;
        _options = options;
        _connection = connection;
    }

    /// <summary>The schema version this build writes and reads.</summary>
    public const int SchemaVersion = Schema.Version;

    /// <summary>Full path of the database file.</summary>
    public string Path { get; }

    /// <summary>The embedding space of every vector in the store.</summary>
    public EmbeddingSpace Space { get; }

    /// <summary>The device that owns the store (and signs the entries it announces).</summary>
    public string DeviceId { get; }

    /// <summary>Opens the state database at <paramref name="path"/>, creating it if it does not exist.</summary>
    /// <param name="path">Database file; its folder must exist. SQLite keeps <c>-wal</c> and <c>-shm</c> files beside it.</param>
    /// <param name="space">The embedding space of the backbone in use; a database of another space is refused.</param>
    /// <param name="deviceId">This device's id; a database of another device is refused.</param>
    /// <param name="options">Settings, or null for the defaults.</param>
    /// <exception cref="ArgumentException">An argument is invalid.</exception>
    /// <exception cref="EmbeddingException">The database belongs to another embedding space.</exception>
    /// <exception cref="StateStoreException">The file is corrupt, not an EdgeCL database, of a newer schema, of another device, locked, or cannot be opened.</exception>
    public static StateStore Open(string path, EmbeddingSpace space, string deviceId, StateStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(space);
        space.Validate();
        FleetLimits.EnsureValidDeviceId(deviceId);
        options ??= StateStoreOptions.Default;
        options.Validate();
        string full = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new StateStoreException(StateStoreFailure.CannotOpen, $"State database path '{full}' is a folder; pass a file path such as '{System.IO.Path.Combine(full, "state.db")}'.");
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            // Pooling would keep the file open after Dispose; one store owns one connection instead.
            Pooling = false,
            // Microsoft.Data.Sqlite retries SQLITE_BUSY until this many seconds; 0 would mean "forever".
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(options.BusyTimeout.TotalSeconds)),
        };
        CheckFileHeader(full);
        var connection = new SqliteConnection(builder.ToString());
        var store = new StateStore(full, space, deviceId, options, connection);
        try
        {
            connection.Open();
            store.Initialise();
            return store;
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw store.Translate(ex, "opening");
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Loads the stored prototypes and tombstones into a new memory.</summary>
    /// <param name="options">Memory settings, or null for the defaults. A supplied centre stored by <see cref="Commit"/> is restored.</param>
    /// <exception cref="ArgumentException">The database holds more classes than <see cref="PrototypeMemoryOptions.MaxClasses"/>.</exception>
    /// <exception cref="StateStoreException">A row is damaged, or SQLite fails.</exception>
    public PrototypeMemory LoadMemory(PrototypeMemoryOptions? options = null)
    {
        ThrowIfDisposed();
        options ??= PrototypeMemoryOptions.Default;
        var memory = new PrototypeMemory(Space, options);
        try
        {
            long classes = (long)Scalar("SELECT count(*) FROM prototypes")!;
            if (classes > options.MaxClasses)
                throw new ArgumentException(
                    $"State database '{Path}' holds {classes} classes but PrototypeMemoryOptions.MaxClasses is {options.MaxClasses}; raise MaxClasses.", nameof(options));
            if (options.Centring == CentringMode.Supplied && Scalar("SELECT value FROM meta WHERE key = 'centre'") is byte[] centreBlob)
                memory.SetCentre(FloatBlob.TryRead(centreBlob, Space.Dimension) ?? throw Corrupt("the stored centre has the wrong length or NaN"));
            using (SqliteCommand command = Command("SELECT label, count, version, mean FROM prototypes ORDER BY rowid"))
            using (SqliteDataReader reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    string label = reader.GetString(0);
                    float[] mean = FloatBlob.TryRead((byte[])reader.GetValue(3), Space.Dimension)
                        ?? throw Corrupt($"the mean of class '{label}' has the wrong length or NaN");
                    RestoreRow(() => memory.Restore(label, reader.GetInt64(1), reader.GetInt64(2), mean), label);
                }
            }
            using (SqliteCommand command = Command("SELECT label, version FROM tombstones ORDER BY label"))
            using (SqliteDataReader reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    string label = reader.GetString(0);
                    RestoreRow(() => memory.RestoreTombstone(label, reader.GetInt64(1)), label);
                }
            }
            return memory;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, "reading");
        }
    }

    /// <summary>
    /// Durably stores the classes of <paramref name="memory"/> named in <paramref name="changedLabels"/> and appends
    /// <paramref name="outboxPayloads"/> to the outbox, all in one transaction.
    /// </summary>
    /// <param name="memory">The current memory (same space as the store).</param>
    /// <param name="changedLabels">
    /// Labels whose class or tombstone changed: each is written as the memory now has it (a class, a tombstone, or
    /// neither after <see cref="PrototypeMemory.Clear"/>). Null rewrites every class and tombstone.
    /// </param>
    /// <param name="outboxPayloads">Messages that announce the change (e.g. <see cref="FleetEntryCodec"/> payloads), or null.</param>
    /// <returns>The outbox sequence numbers given to <paramref name="outboxPayloads"/>, in order.</returns>
    /// <remarks>When this returns, the change survives kill -9 and power loss. When it throws, nothing was written and the
    /// memory is ahead of the store: retry, or reload with <see cref="LoadMemory"/>.</remarks>
    /// <exception cref="ArgumentException">A label or payload is null, or a payload is empty or larger than <see cref="FleetLimits.MaxPayloadBytes"/>.</exception>
    /// <exception cref="EmbeddingException">The memory belongs to another embedding space.</exception>
    /// <exception cref="StateStoreException">The disk is full or SQLite fails; nothing was written.</exception>
    public IReadOnlyList<long> Commit(PrototypeMemory memory, IEnumerable<string>? changedLabels, IEnumerable<byte[]>? outboxPayloads = null) =>
        Commit(memory, changedLabels, outboxPayloads, example: null);

    /// <summary>
    /// As <see cref="Commit(PrototypeMemory, IEnumerable{string}?, IEnumerable{byte[]}?)"/>, and records <paramref name="example"/>'s id in the
    /// same transaction, so an example delivered again after a crash (a file not yet moved away) is recognised by
    /// <see cref="HasExample"/> and not learned twice. The newest <c>10,000</c> ids are kept.
    /// </summary>
    /// <param name="memory">The memory.</param>
    /// <param name="changedLabels">The changed classes, or null for all.</param>
    /// <param name="outboxPayloads">Announcements, or null.</param>
    /// <param name="example">The learned example's (id, label), or null.</param>
    /// <exception cref="StateStoreException">The disk is full or SQLite fails; nothing was written.</exception>
    public IReadOnlyList<long> Commit(PrototypeMemory memory, IEnumerable<string>? changedLabels, IEnumerable<byte[]>? outboxPayloads, (string Id, string Label)? example)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(memory);
        Space.EnsureSame(memory.Space, "The memory");
        // Validate and snapshot everything before the transaction starts, so a bad argument writes nothing.
        string[]? labels = changedLabels?.ToArray();
        if (labels is not null && Array.IndexOf(labels, null) >= 0)
            throw new ArgumentException("changedLabels contains null; pass the labels whose classes changed.", nameof(changedLabels));
        byte[][] payloads = outboxPayloads?.ToArray() ?? [];
        foreach (byte[] payload in payloads)
        {
            if (payload is null || payload.Length == 0 || payload.Length > FleetLimits.MaxPayloadBytes)
                throw new ArgumentException(
                    $"An outbox payload is {(payload is null ? "null" : $"{payload.Length} bytes")}; payloads must be 1..{FleetLimits.MaxPayloadBytes} bytes.", nameof(outboxPayloads));
        }
        try
        {
            using SqliteTransaction transaction = BeginWrite();
            if (labels is null)
            {
                Execute(transaction, "DELETE FROM prototypes; DELETE FROM tombstones;");
                var all = new List<string>(memory.ClassCount + memory.Tombstones.Count);
                for (int c = 0; c < memory.ClassCount; c++)
                    all.Add(memory.LabelAt(c));
                all.AddRange(memory.Tombstones.Keys);
                labels = [.. all];
            }
            WriteClasses(transaction, memory, labels);
            if (example is { } ex)
            {
                if (!_hasExamplesTable)
                    Execute(transaction, Schema.CreateExamples);
                Execute(transaction, "INSERT INTO examples (id, label, created) VALUES ($i, $l, $c) ON CONFLICT (id) DO NOTHING",
                    ("$i", ex.Id), ("$l", ex.Label), ("$c", _options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds()));
                Execute(transaction, $"DELETE FROM examples WHERE rowid <= (SELECT max(rowid) FROM examples) - {Schema.ExamplesKept}");
            }
            if (memory.Options.Centring == CentringMode.Supplied)
                Execute(transaction, "INSERT INTO meta (key, value) VALUES ('centre', $v) ON CONFLICT (key) DO UPDATE SET value = excluded.value", ("$v", FloatBlob.ToBytes(memory.Centre)));
            long[] sequences = InsertOutbox(transaction, payloads);
            transaction.Commit();
            _hasExamplesTable |= example is not null;
            return sequences;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, "committing to");
        }
    }

    /// <summary>Whether an example with this id was committed (see the Commit overload that takes an example).</summary>
    /// <exception cref="StateStoreException">SQLite fails.</exception>
    public bool HasExample(string id)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(id);
        if (!_hasExamplesTable)
            return false;
        try
        {
            using SqliteCommand query = Command("SELECT 1 FROM examples WHERE id = $i", null);
            query.Parameters.AddWithValue("$i", id);
            return query.ExecuteScalar() is not null;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, "reading");
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        // Closing the last connection checkpoints the WAL into the main file.
        _connection.Dispose();
    }

    private void WriteClasses(SqliteTransaction transaction, PrototypeMemory memory, string[] labels)
    {
        using SqliteCommand upsertClass = Command(
            """
            INSERT INTO prototypes (label, count, version, mean) VALUES ($l, $n, $v, $m)
            ON CONFLICT (label) DO UPDATE SET count = excluded.count, version = excluded.version, mean = excluded.mean
            """, transaction);
        using SqliteCommand upsertTombstone = Command(
            "INSERT INTO tombstones (label, version) VALUES ($l, $v) ON CONFLICT (label) DO UPDATE SET version = excluded.version", transaction);
        using SqliteCommand deleteClass = Command("DELETE FROM prototypes WHERE label = $l", transaction);
        using SqliteCommand deleteTombstone = Command("DELETE FROM tombstones WHERE label = $l", transaction);
        foreach (string label in labels)
        {
            int index = memory.IndexOf(label);
            if (index >= 0)
            {
                ClassSummary s = memory.SummaryAt(index);
                Run(upsertClass, ("$l", label), ("$n", s.Count), ("$v", s.Version), ("$m", FloatBlob.ToBytes(memory.MeanAt(index))));
                Run(deleteTombstone, ("$l", label));
            }
            else
            {
                Run(deleteClass, ("$l", label));
                if (memory.Tombstones.TryGetValue(label, out long version))
                    Run(upsertTombstone, ("$l", label), ("$v", version));
                else
                    Run(deleteTombstone, ("$l", label));
            }
        }
    }

    private void EnsureStorable(StoredFleetEntry item)
    {
        ArgumentNullException.ThrowIfNull(item.Entry, "entry");
        if (FleetEntryRules.Check(item.Entry, Space) is { } reason)
            throw new ArgumentException($"Fleet entry ({item.Entry.DeviceId}, {item.Entry.Label}) cannot be stored: {reason}.", "entry");
        if (item.Payload is null)
            return;
        if (!FleetEntryCodec.TryDecode(item.Payload, out FleetEntry? decoded, out FleetDecodeError error)
            || decoded.SpaceId != item.Entry.SpaceId || decoded.DeviceId != item.Entry.DeviceId || decoded.Label != item.Entry.Label
            || FleetEntryOrder.Compare(decoded, item.Entry) != 0)
            throw new ArgumentException(
                $"The payload stored with fleet entry ({item.Entry.DeviceId}, {item.Entry.Label}) {(error != FleetDecodeError.None ? $"does not decode ({error})" : "decodes to a different entry")}; store the payload the entry came from.", "payload");
    }

    private FleetEntry ReadFleetEntry(string device, string label, long version, long count, byte[] meanBlob)
    {
        float[] mean = count == 0 && meanBlob.Length == 0
            ? []
            : FloatBlob.TryRead(meanBlob, Space.Dimension) ?? throw Corrupt($"the mean of fleet entry ({device}, {label}) has the wrong length or NaN");
        var entry = new FleetEntry { SpaceId = Space.Id, DeviceId = device, Label = label, Version = version, Count = count, Mean = mean };
        return FleetEntryRules.Check(entry, Space) is { } reason ? throw Corrupt($"fleet entry ({device}, {label}) is invalid: {reason}") : entry;
    }

    private void RestoreRow(Action restore, string label)
    {
        try
        {
            restore();
        }
        catch (ArgumentException ex)
        {
            throw Corrupt($"class '{label}' is refused by the memory: {ex.Message}");
        }
    }

    private long MetaInt(string key) =>
        Scalar($"SELECT value FROM meta WHERE key = '{key}'") is long value ? value : throw Corrupt($"meta '{key}' is missing");

    private string MetaText(string key) =>
        Scalar($"SELECT value FROM meta WHERE key = '{key}'") is string value ? value : throw Corrupt($"meta '{key}' is missing");

    private SqliteCommand Command(string sql, SqliteTransaction? transaction = null)
    {
        SqliteCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    private object? Scalar(string sql)
    {
        using SqliteCommand command = Command(sql);
        return command.ExecuteScalar();
    }

    private void Execute(SqliteTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        using SqliteCommand command = Command(sql, transaction);
        Run(command, parameters);
    }

    private static void Run(SqliteCommand command, params (string Name, object Value)[] parameters)
    {
        command.Parameters.Clear();
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value);
        command.ExecuteNonQuery();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
