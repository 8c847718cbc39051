using EdgeCL.Core.Fleet;
using EdgeCL.Core.Memory;
using EdgeCL.Storage.State;
using EdgeCL.Sync.Payloads;

namespace EdgeCL.Sync.Outbox;

/// <summary>
/// A durable <see cref="IFleetOutbox"/> over a <see cref="StateStore"/>: an announcement is written in the same SQLite
/// transaction as the change it announces (<see cref="Commit(PrototypeMemory, IReadOnlyList{string}, bool)"/>), and its row is deleted only after the broker
/// acknowledged the publish (QoS 1 PUBACK), so offline learning survives kill -9 and power loss and drains after reconnect.
/// </summary>
/// <remarks>
/// <para>Rows hold signed <see cref="FleetEntryCodec"/> payloads. Rows are coalesced per class: once a class's newer
/// row is committed, its older rows are deleted (an offline device learning one class a thousand times keeps one row,
/// not a thousand), so the outbox holds at most one row per class. The newer row is durable before the older ones go,
/// so a crash in between leaves only extra rows, coalesced again at the next load.</para>
/// <para>A broker refusal (PUBACK with an error code such as NotAuthorized) also acknowledges the rows: retrying cannot
/// change the ACL, the refusal is counted by the sync client, and the next rebirth publishes the entry again.</para>
/// <para>Thread-safety: every member takes <see cref="StoreLock"/>; whoever else uses the store (the device) must take
/// it too, since <see cref="StateStore"/> is not thread-safe. Does not own the store.</para>
/// </remarks>
public sealed class StateStoreOutbox : IFleetOutbox
{
    private readonly StateStore _store;
    private readonly IFleetEntryCodec _codec;
    private readonly Dictionary<string, FleetEntry> _latest = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _latestPayloads = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(long Sequence, long Version)>> _rows = new(StringComparer.Ordinal);
    private TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _rowCount, _discarded;

    /// <summary>Loads this device's own entries and the pending rows from <paramref name="store"/>.</summary>
    /// <param name="store">The device's state (not owned).</param>
    /// <param name="codec">Signs announcements; must be the device's codec (its key is in its own trust store).</param>
    /// <param name="storeLock">The lock that serialises every use of <paramref name="store"/>; a new one when null.</param>
    /// <exception cref="Storage.Errors.StateStoreException">The store cannot be read.</exception>
    public StateStoreOutbox(StateStore store, IFleetEntryCodec codec, Lock? storeLock = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(codec);
        _store = store;
        _codec = codec;
        StoreLock = storeLock ?? new Lock();
        lock (StoreLock)
        {
            foreach (FleetEntry entry in store.LoadFleetState(includeOwnEntries: true).Entries)
                if (entry.DeviceId == store.DeviceId)
                    _latest[entry.Label] = entry;
            var undecodable = new List<long>();
            foreach (OutboxMessage message in store.PendingOutbox(100_000))
            {
                if (!FleetEntryCodec.TryDecode(message.Payload, out FleetEntry? entry, out _)
                    || entry.DeviceId != store.DeviceId || entry.SpaceId != store.Space.Id)
                {
                    // Not an announcement this device can publish (damaged, or written by something else): it would block the drain forever.
                    undecodable.Add(message.Sequence);
                    continue;
                }
                AddRow(entry.Label, message.Sequence, entry.Version);
                if (!_latest.TryGetValue(entry.Label, out FleetEntry? held) || held.Version <= entry.Version)
                {
                    _latest[entry.Label] = entry;
                    _latestPayloads[entry.Label] = message.Payload;
                }
            }
            if (undecodable.Count > 0)
                _discarded = store.AcknowledgeOutbox(undecodable);
            foreach (string label in _rows.Keys.ToList())
                CoalesceLocked(label);
            if (_rowCount == 0)
                _drained.TrySetResult();
        }
    }

    /// <summary>The lock every user of the store takes.</summary>
    public Lock StoreLock { get; }

    /// <summary>Outbox rows not yet acknowledged by the broker.</summary>
    public long PendingRows
    {
        get { lock (StoreLock) return _rowCount; }
    }

    /// <summary>Classes with unacknowledged rows (what the next drain publishes).</summary>
    public int PendingClasses
    {
        get { lock (StoreLock) return _rows.Count; }
    }

    /// <summary>Rows found at load that did not decode as this device's entries and were discarded.</summary>
    public long DiscardedRows
    {
        get { lock (StoreLock) return _discarded; }
    }

    /// <summary>
    /// Durably stores the classes <paramref name="labels"/> of <paramref name="memory"/> and, when <paramref name="announce"/>,
    /// one signed announcement per class, in one transaction.
    /// </summary>
    /// <param name="memory">The device's memory after the change.</param>
    /// <param name="labels">The labels that changed (each must now be a class or a tombstone of <paramref name="memory"/>).</param>
    /// <param name="announce">False for changes the fleet already holds (an entry adopted from the fleet), which need no row.</param>
    /// <returns>The committed entries and their payloads (null payloads when not announced), in the order of <paramref name="labels"/>.</returns>
    /// <exception cref="ArgumentException">A label has neither a class nor a tombstone in the memory.</exception>
    /// <exception cref="Storage.Errors.StateStoreException">The disk is full or SQLite fails; nothing was written.</exception>
    public IReadOnlyList<(FleetEntry Entry, byte[]? Payload)> Commit(PrototypeMemory memory, IReadOnlyList<string> labels, bool announce = true) =>
        Commit(memory, labels, announce, example: null);

    /// <summary>As the overload without <paramref name="example"/>, and records the learned example's id in the same transaction.</summary>
    /// <param name="memory">The memory.</param>
    /// <param name="labels">The changed classes.</param>
    /// <param name="announce">Whether to sign and queue announcements.</param>
    /// <param name="example">The learned example's (id, label), or null.</param>
    public IReadOnlyList<(FleetEntry Entry, byte[]? Payload)> Commit(PrototypeMemory memory, IReadOnlyList<string> labels, bool announce, (string Id, string Label)? example)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(labels);
        var entries = new FleetEntry[labels.Count];
        for (int i = 0; i < labels.Count; i++)
            entries[i] = FleetEntryFactory.ForLabel(_store.DeviceId, memory, labels[i]);
        // Several classes committed together are announced under one batch signature (SignedPayload).
        IReadOnlyList<byte[]>? payloads = announce ? _codec.EncodeBatch(entries) : null;
        var committed = new (FleetEntry Entry, byte[]? Payload)[labels.Count];
        for (int i = 0; i < labels.Count; i++)
            committed[i] = (entries[i], payloads?[i]);
        lock (StoreLock)
        {
            IReadOnlyList<long> sequences = _store.Commit(memory, labels, announce ? committed.Select(c => c.Payload!) : null, example);
            for (int i = 0; i < committed.Length; i++)
            {
                (FleetEntry entry, byte[]? payload) = committed[i];
                _latest[entry.Label] = entry;
                if (payload is null)
                {
                    _latestPayloads.Remove(entry.Label);
                    continue;
                }
                _latestPayloads[entry.Label] = payload;
                AddRow(entry.Label, sequences[i], entry.Version);
                CoalesceLocked(entry.Label);
            }
        }
        return committed;
    }

    /// <summary>The stored payload of a class's newest entry, when one is known (so it is published without signing again).</summary>
    public bool TryGetLatestPayload(string label, out FleetEntry? entry, out byte[]? payload)
    {
        lock (StoreLock)
        {
            _latest.TryGetValue(label, out entry);
            _latestPayloads.TryGetValue(label, out payload);
            return entry is not null && payload is not null;
        }
    }

    /// <summary>Completes when no row is pending (at once when none is).</summary>
    public Task WhenDrainedAsync(CancellationToken cancellationToken = default)
    {
        lock (StoreLock)
            return _drained.Task.WaitAsync(cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// An entry no newer than the stored one was committed with its change (by <see cref="Commit(PrototypeMemory, IReadOnlyList{string}, bool)"/>) and is not written
    /// again; a newer one is appended as a row of its own.
    /// </remarks>
    /// <exception cref="ArgumentException">The entry is older than the stored one of its class.</exception>
    /// <exception cref="Storage.Errors.StateStoreException">The disk is full or SQLite fails.</exception>
    public ValueTask AddAsync(FleetEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        cancellationToken.ThrowIfCancellationRequested();
        lock (StoreLock)
        {
            if (_latest.TryGetValue(entry.Label, out FleetEntry? held))
            {
                if (held.Version > entry.Version)
                    throw new ArgumentException(
                        $"Entry '{entry.Label}' version {entry.Version} is older than the stored version {held.Version}; versions of a class must only increase.", nameof(entry));
                if (held.Version == entry.Version)
                    return ValueTask.CompletedTask;
            }
            byte[] payload = _codec.Encode(entry);
            long sequence = _store.AppendOutbox([payload])[0];
            _latest[entry.Label] = entry;
            _latestPayloads[entry.Label] = payload;
            AddRow(entry.Label, sequence, entry.Version);
            CoalesceLocked(entry.Label);
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<FleetEntry>> PendingAsync(int max, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        lock (StoreLock)
        {
            var result = _rows
                .OrderBy(r => r.Value[0].Sequence)
                .Take(max)
                .Select(r => _latest[r.Key])
                .ToList();
            return ValueTask.FromResult<IReadOnlyList<FleetEntry>>(result);
        }
    }

    /// <inheritdoc/>
    /// <exception cref="Storage.Errors.StateStoreException">The disk is full or SQLite fails; the rows stay pending and are published again.</exception>
    public ValueTask MarkPublishedAsync(FleetEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (StoreLock)
        {
            if (!_rows.TryGetValue(entry.Label, out var rows))
                return ValueTask.CompletedTask;
            long[] done = [.. rows.Where(r => r.Version <= entry.Version).Select(r => r.Sequence)];
            if (done.Length == 0)
                return ValueTask.CompletedTask;
            _store.AcknowledgeOutbox(done);
            rows.RemoveAll(r => r.Version <= entry.Version);
            if (rows.Count == 0)
                _rows.Remove(entry.Label);
            _rowCount -= done.Length;
            if (_rowCount == 0)
                _drained.TrySetResult();
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<FleetEntry>> LatestAsync(CancellationToken cancellationToken = default)
    {
        lock (StoreLock)
            return ValueTask.FromResult<IReadOnlyList<FleetEntry>>([.. _latest.Values]);
    }

    /// <summary>Deletes the rows of <paramref name="label"/> older than its newest one (they announce versions nobody needs any more).</summary>
    private void CoalesceLocked(string label)
    {
        if (!_rows.TryGetValue(label, out var rows) || rows.Count < 2)
            return;
        long newest = rows.Max(r => r.Version);
        long[] superseded = [.. rows.Where(r => r.Version < newest).Select(r => r.Sequence)];
        if (superseded.Length == 0)
            return;
        try
        {
            _store.AcknowledgeOutbox(superseded);
        }
        catch (Storage.Errors.StateStoreException)
        {
            return; // a full disk cannot delete either: the rows stay and are still published only once, as the newest
        }
        rows.RemoveAll(r => r.Version < newest);
        _rowCount -= superseded.Length;
    }

    private void AddRow(string label, long sequence, long version)
    {
        if (!_rows.TryGetValue(label, out var rows))
            _rows[label] = rows = [];
        rows.Add((sequence, version));
        if (_rowCount++ == 0 && _drained.Task.IsCompleted)
            _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
