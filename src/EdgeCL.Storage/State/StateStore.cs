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
public sealed class StateStore : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly StateStoreOptions _options;
    private bool _disposed;

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
            using SqliteTransaction transaction = _connection.BeginTransaction();
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
                Execute(transaction, "INSERT INTO examples (id, label, created) VALUES ($i, $l, $c) ON CONFLICT (id) DO NOTHING",
                    ("$i", ex.Id), ("$l", ex.Label), ("$c", _options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds()));
                Execute(transaction, $"DELETE FROM examples WHERE rowid <= (SELECT max(rowid) FROM examples) - {Schema.ExamplesKept}");
            }
            if (memory.Options.Centring == CentringMode.Supplied)
                Execute(transaction, "INSERT INTO meta (key, value) VALUES ('centre', $v) ON CONFLICT (key) DO UPDATE SET value = excluded.value", ("$v", FloatBlob.ToBytes(memory.Centre)));
            var sequences = new long[payloads.Length];
            if (payloads.Length > 0)
            {
                long created = _options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();
                using SqliteCommand insert = Command("INSERT INTO outbox (payload, created) VALUES ($p, $c) RETURNING seq", transaction);
                SqliteParameter p = insert.Parameters.Add("$p", SqliteType.Blob);
                insert.Parameters.AddWithValue("$c", created);
                for (int i = 0; i < payloads.Length; i++)
                {
                    p.Value = payloads[i];
                    sequences[i] = (long)insert.ExecuteScalar()!;
                }
            }
            transaction.Commit();
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

    /// <summary>Appends messages to the outbox alone, in one transaction, for announcements of changes that are already stored.</summary>
    /// <returns>The sequence numbers given to <paramref name="payloads"/>, in order.</returns>
    /// <exception cref="ArgumentException">A payload is null, empty or larger than <see cref="FleetLimits.MaxPayloadBytes"/>; nothing was written.</exception>
    /// <exception cref="StateStoreException">The disk is full or SQLite fails; nothing was written.</exception>
    public IReadOnlyList<long> AppendOutbox(IEnumerable<byte[]> payloads)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(payloads);
        byte[][] batch = payloads.ToArray();
        foreach (byte[] payload in batch)
        {
            if (payload is null || payload.Length == 0 || payload.Length > FleetLimits.MaxPayloadBytes)
                throw new ArgumentException(
                    $"An outbox payload is {(payload is null ? "null" : $"{payload.Length} bytes")}; payloads must be 1..{FleetLimits.MaxPayloadBytes} bytes.", nameof(payloads));
        }
        try
        {
            using SqliteTransaction transaction = _connection.BeginTransaction();
            var sequences = new long[batch.Length];
            long created = _options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();
            using SqliteCommand insert = Command("INSERT INTO outbox (payload, created) VALUES ($p, $c) RETURNING seq", transaction);
            SqliteParameter p = insert.Parameters.Add("$p", SqliteType.Blob);
            insert.Parameters.AddWithValue("$c", created);
            for (int i = 0; i < batch.Length; i++)
            {
                p.Value = batch[i];
                sequences[i] = (long)insert.ExecuteScalar()!;
            }
            transaction.Commit();
            return sequences;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, "committing to");
        }
    }

    /// <summary>Number of messages waiting in the outbox.</summary>
    /// <exception cref="StateStoreException">SQLite fails.</exception>
    public long OutboxCount
    {
        get
        {
            ThrowIfDisposed();
            try
            {
                return (long)Scalar("SELECT count(*) FROM outbox")!;
            }
            catch (SqliteException ex)
            {
                throw Translate(ex, "reading");
            }
        }
    }

    /// <summary>The oldest messages still waiting in the outbox, oldest first.</summary>
    /// <param name="limit">Most messages to return (1..100,000). Default 256.</param>
    /// <exception cref="StateStoreException">SQLite fails.</exception>
    public IReadOnlyList<OutboxMessage> PendingOutbox(int limit = 256)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 100_000);
        try
        {
            var messages = new List<OutboxMessage>();
            using SqliteCommand command = Command("SELECT seq, payload, created FROM outbox ORDER BY seq LIMIT $n");
            command.Parameters.AddWithValue("$n", limit);
            using SqliteDataReader reader = command.ExecuteReader();
            while (reader.Read())
                messages.Add(new OutboxMessage(reader.GetInt64(0), (byte[])reader.GetValue(1), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2))));
            return messages;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, "reading");
        }
    }

    /// <summary>Removes one delivered message from the outbox (after the broker acknowledged it).</summary>
    /// <returns>False when no message had this sequence number (already acknowledged).</returns>
    /// <exception cref="StateStoreException">SQLite fails.</exception>
    public bool AcknowledgeOutbox(long sequence) => AcknowledgeOutbox([sequence]) == 1;

    /// <summary>Removes several delivered messages from the outbox in one transaction (one disk flush).</summary>
    /// <returns>How many messages were removed.</returns>
    /// <exception cref="StateStoreException">SQLite fails.</exception>
    public int AcknowledgeOutbox(IEnumerable<long> sequences)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(sequences);
        try
        {
            using SqliteTransaction transaction = _connection.BeginTransaction();
            using SqliteCommand delete = Command("DELETE FROM outbox WHERE seq = $s", transaction);
            SqliteParameter s = delete.Parameters.Add("$s", SqliteType.Integer);
            int removed = 0;
            foreach (long sequence in sequences)
            {
                s.Value = sequence;
                removed += delete.ExecuteNonQuery();
            }
            transaction.Commit();
            return removed;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, "acknowledging in");
        }
    }

    /// <summary>Stores a received fleet entry if it supersedes the stored one for its (device, label) (same rule as <see cref="FleetState.Merge(FleetEntry)"/>).</summary>
    /// <param name="entry">A valid entry of this store's space.</param>
    /// <param name="payload">The signed payload it was decoded from, kept so that it can be verified again or relayed; it must decode to <paramref name="entry"/>. Null when there is none.</param>
    /// <returns>True when stored; false when the stored entry is the same or newer.</returns>
    /// <exception cref="ArgumentException">The entry is invalid or of another space, or the payload does not decode to it.</exception>
    /// <exception cref="StateStoreException">The disk is full or SQLite fails; nothing was written.</exception>
    public bool SaveFleetEntry(FleetEntry entry, byte[]? payload = null) => SaveFleetEntries([new StoredFleetEntry(entry, payload)]) == 1;

    /// <summary>Stores several received fleet entries in one transaction (one disk flush); each is kept only if it supersedes the stored one.</summary>
    /// <returns>How many were stored.</returns>
    /// <exception cref="ArgumentException">An entry is invalid or of another space, or a payload does not decode to its entry; nothing was written.</exception>
    /// <exception cref="StateStoreException">The disk is full or SQLite fails; nothing was written.</exception>
    public int SaveFleetEntries(IEnumerable<StoredFleetEntry> entries)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(entries);
        StoredFleetEntry[] batch = entries.ToArray();
        foreach (StoredFleetEntry item in batch)
            EnsureStorable(item);
        try
        {
            using SqliteTransaction transaction = _connection.BeginTransaction();
            using SqliteCommand select = Command("SELECT version, count, mean FROM fleet_entries WHERE device = $d AND label = $l", transaction);
            SqliteParameter sd = select.Parameters.Add("$d", SqliteType.Text);
            SqliteParameter sl = select.Parameters.Add("$l", SqliteType.Text);
            using SqliteCommand upsert = Command(
                """
                INSERT INTO fleet_entries (device, label, version, count, mean, signature, payload) VALUES ($d, $l, $v, $n, $m, $s, $p)
                ON CONFLICT (device, label) DO UPDATE SET version = excluded.version, count = excluded.count, mean = excluded.mean,
                    signature = excluded.signature, payload = excluded.payload
                """, transaction);
            int stored = 0;
            foreach (StoredFleetEntry item in batch)
            {
                FleetEntry e = item.Entry;
                sd.Value = e.DeviceId;
                sl.Value = e.Label;
                FleetEntry? held = null;
                using (SqliteDataReader reader = select.ExecuteReader())
                {
                    if (reader.Read())
                        held = ReadFleetEntry(e.DeviceId, e.Label, reader.GetInt64(0), reader.GetInt64(1), (byte[])reader.GetValue(2));
                }
                if (held is not null && !FleetEntryOrder.Supersedes(e, held))
                    continue;
                upsert.Parameters.Clear();
                upsert.Parameters.AddWithValue("$d", e.DeviceId);
                upsert.Parameters.AddWithValue("$l", e.Label);
                upsert.Parameters.AddWithValue("$v", e.Version);
                upsert.Parameters.AddWithValue("$n", e.Count);
                upsert.Parameters.AddWithValue("$m", FloatBlob.ToBytes(e.Mean));
                upsert.Parameters.AddWithValue("$s", item.Payload is null ? DBNull.Value : FleetEntryCodec.Signature(item.Payload).ToArray());
                upsert.Parameters.AddWithValue("$p", (object?)item.Payload ?? DBNull.Value);
                upsert.ExecuteNonQuery();
                stored++;
            }
            transaction.Commit();
            return stored;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, "committing to");
        }
    }

    /// <summary>Every stored fleet entry received from the fleet, with its payload, ordered by label then device.</summary>
    /// <exception cref="StateStoreException">A row is damaged, or SQLite fails.</exception>
    public IReadOnlyList<StoredFleetEntry> LoadFleetEntries()
    {
        ThrowIfDisposed();
        try
        {
            var entries = new List<StoredFleetEntry>();
            using SqliteCommand command = Command("SELECT device, label, version, count, mean, payload FROM fleet_entries ORDER BY label, device");
            using SqliteDataReader reader = command.ExecuteReader();
            while (reader.Read())
            {
                FleetEntry entry = ReadFleetEntry(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), (byte[])reader.GetValue(4));
                entries.Add(new StoredFleetEntry(entry, reader.IsDBNull(5) ? null : (byte[])reader.GetValue(5)));
            }
            return entries;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, "reading");
        }
    }

    /// <summary>Rebuilds the fleet state: every stored fleet entry, plus (by default) this device's own entries derived from its stored classes and tombstones.</summary>
    /// <remarks>Local classes whose labels the fleet cannot carry (over <see cref="FleetLimits.MaxLabelBytes"/> UTF-8 bytes) are left out.</remarks>
    /// <exception cref="StateStoreException">A row is damaged, or SQLite fails.</exception>
    public FleetState LoadFleetState(bool includeOwnEntries = true)
    {
        var state = new FleetState(Space);
        foreach (StoredFleetEntry stored in LoadFleetEntries())
            state.Merge(stored.Entry);
        if (!includeOwnEntries)
            return state;
        try
        {
            // Own entries come straight from the rows, so no PrototypeMemoryOptions limit can hide one.
            using (SqliteCommand command = Command("SELECT label, count, version, mean FROM prototypes"))
            using (SqliteDataReader reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    string label = reader.GetString(0);
                    float[] mean = FloatBlob.TryRead((byte[])reader.GetValue(3), Space.Dimension)
                        ?? throw Corrupt($"the mean of class '{label}' has the wrong length or NaN");
                    // A local label the fleet cannot carry (over FleetLimits.MaxLabelBytes) is refused by Merge and stays local.
                    state.Merge(new FleetEntry { SpaceId = Space.Id, DeviceId = DeviceId, Label = label, Version = reader.GetInt64(2), Count = reader.GetInt64(1), Mean = mean });
                }
            }
            using (SqliteCommand command = Command("SELECT label, version FROM tombstones"))
            using (SqliteDataReader reader = command.ExecuteReader())
            {
                while (reader.Read())
                    state.Merge(new FleetEntry { SpaceId = Space.Id, DeviceId = DeviceId, Label = reader.GetString(0), Version = reader.GetInt64(1), Count = 0, Mean = [] });
            }
            return state;
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
        string mode = (string)Scalar("PRAGMA journal_mode = WAL")!;
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            throw new StateStoreException(StateStoreFailure.CannotOpen,
                $"State database '{Path}' cannot use write-ahead logging (journal mode stays '{mode}'); put it on a local file system.");
        // FULL: every commit flushes the WAL, so an acknowledged change survives power loss (NORMAL would not).
        Execute(null, "PRAGMA synchronous = FULL");
        if (_options.VerifyOnOpen)
        {
            string check = (string)Scalar("PRAGMA quick_check(1)")!;
            if (check != "ok")
                throw Corrupt(check);
        }
        if (tables == 0)
        {
            CreateSchema();
            return;
        }
        long schema = MetaInt("schema_version");
        if (schema > Schema.Version)
            throw new StateStoreException(StateStoreFailure.UnsupportedSchema,
                $"State database '{Path}' has schema version {schema}; this build reads version {Schema.Version}: upgrade edgecl.");
        if (schema != Schema.Version)
            throw Corrupt($"schema version {schema} is unknown");
        Execute(null, Schema.CreateExamples);
        long dimension = MetaInt("dimension");
        if (dimension is < 1 or > EmbeddingSpace.MaxDimension)
            throw Corrupt($"meta dimension {dimension} is out of range");
        var stored = new EmbeddingSpace(MetaText("space_id"), (int)dimension);
        Space.EnsureSame(stored, $"State database '{Path}'");
        string device = MetaText("device_id");
        if (device != DeviceId)
            throw new StateStoreException(StateStoreFailure.WrongDevice,
                $"State database '{Path}' belongs to device '{device}', not '{DeviceId}'; use device id '{device}' or another database file.");
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

    private void CreateSchema()
    {
        using SqliteTransaction transaction = _connection.BeginTransaction();
        Execute(transaction, $"PRAGMA application_id = {Schema.ApplicationId}; PRAGMA user_version = {Schema.Version};");
        Execute(transaction, Schema.Create);
        Execute(transaction,
            "INSERT INTO meta (key, value) VALUES ('schema_version', $sv), ('space_id', $id), ('dimension', $d), ('device_id', $dev), ('created', $c)",
            ("$sv", Schema.Version), ("$id", Space.Id), ("$d", Space.Dimension), ("$dev", DeviceId),
            ("$c", _options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds()));
        transaction.Commit();
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

    private StateStoreException Corrupt(string detail) => new(StateStoreFailure.Corrupt,
        $"State database '{Path}' is corrupt ({OneLine(detail)}); move it aside and restore a backup, or delete it to start a new state (the fleet resends its entries).");

    private StateStoreException Translate(SqliteException ex, string action)
    {
        string detail = FirstLine(ex.Message);
        // Primary result codes: https://www.sqlite.org/rescode.html
        return (ex.SqliteErrorCode & 0xFF) switch
        {
            13 => new StateStoreException(StateStoreFailure.DiskFull,
                $"Disk full while {action} state database '{Path}'; nothing was written: free space on that disk and retry.", ex),
            // SQLite reports a failed -shm or WAL extension as a plain I/O error; on a file system with no room it is the full disk.
            10 when !DiskSpace.HasRoom(Path) => new StateStoreException(StateStoreFailure.DiskFull,
                $"Disk full while {action} state database '{Path}' ({DiskSpace.Describe(Path)}); nothing was written: free space on that disk and retry.", ex),
            11 => new StateStoreException(StateStoreFailure.Corrupt,
                $"State database '{Path}' is corrupt ({detail}); move it aside and restore a backup, or delete it to start a new state (the fleet resends its entries).", ex),
            26 => new StateStoreException(StateStoreFailure.NotStateDatabase,
                $"'{Path}' is not an EdgeCL state database or its header is damaged; move it aside and restore a backup, or pass another path.", ex),
            5 or 6 => new StateStoreException(StateStoreFailure.Busy,
                $"State database '{Path}' stayed locked by another process for over {_options.BusyTimeout.TotalSeconds:0.#} s while {action} it; stop the other edgecl process or raise BusyTimeout.", ex),
            3 or 8 or 14 or 23 => new StateStoreException(StateStoreFailure.CannotOpen,
                $"State database '{Path}' cannot be opened for writing ({detail}); check that the folder exists and is writable.", ex),
            _ => new StateStoreException(StateStoreFailure.Io,
                $"I/O error while {action} state database '{Path}' ({detail}); check the disk and retry.", ex),
        };
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Replace("*** in database main *** ", "", StringComparison.Ordinal).Trim();

    private static string FirstLine(string message)
    {
        int newline = message.AsSpan().IndexOfAny('\r', '\n');
        return newline < 0 ? message : message[..newline];
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
