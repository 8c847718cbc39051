using System.Threading.Channels;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Memory;
using EdgeCL.Storage.Errors;
using EdgeCL.Storage.State;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Commands;
using EdgeCL.Sync.Outbox;
using EdgeCL.Sync.Payloads;
using EdgeCL.Sync.State;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeCL.Sync.Device;

/// <summary>
/// One device of a fleet: its local prototypes, its durable state (<see cref="StateStore"/>) and its sync client, tied
/// together so that an acknowledged change is durable and reaches the fleet (design.md §3, "Local state").
/// </summary>
/// <remarks>
/// <para><b>Local changes.</b> <see cref="LearnAsync"/> and <see cref="ForgetAsync"/> commit the changed class (or
/// tombstone) and its signed announcement in one SQLite transaction before they return, then hand the same bytes to the
/// sync client. The outbox row is deleted only after the broker acknowledged the publish (QoS 1 PUBACK); rows left by a
/// crash, a power loss or an offline period are published on the next connect. When the store cannot write (disk full)
/// the call throws <see cref="StateStoreException"/>, the memory is reloaded from the store and nothing is announced.</para>
/// <para><b>Received entries.</b> Verified entries of other devices are merged by the client, then written to the store
/// in batches on a background task (<see cref="StateStore.SaveFleetEntries"/>); the fleet prototypes used by
/// <see cref="Predict"/> are rebuilt lazily after every change. On open everything comes back from the store.</para>
/// <para><b>Version continuation.</b> When the fleet holds a higher version of one of this device's own classes than
/// the store (the device was reinstalled with the same id and key), the device does not announce stale versions: a
/// class it does not know locally is adopted as the fleet has it; a class it changed since is re-announced one version
/// above the fleet's, with the local content. Until the fleet's copy arrives, the connect-time rebirth may briefly
/// publish the lower version; other devices drop it as stale and the re-announcement replaces it.</para>
/// <para><b>Commands.</b> <c>forget_class</c> forgets the class as <see cref="ForgetAsync"/> does.</para>
/// <para>Thread-safety: all public members may be called from any thread; local changes are serialised. Must be disposed.</para>
/// </remarks>
public sealed class FleetDevice : IAsyncDisposable
{
    private const int SaveBatch = 512;

    private readonly FleetDeviceOptions _options;
    private readonly StateStore _store;
    private readonly StateStoreOutbox _outbox;
    private readonly FleetStateTarget _fleet;
    private readonly FleetSyncClient _client;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _viewLock = new();
    private readonly Channel<Work> _work = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _abort = new();
    private PrototypeMemory _memory;
    private PrototypeMemory? _view;
    private volatile bool _viewDirty = true;
    private Task? _worker;
    private long _learned, _forgotten, _commitFailures, _saved, _saveFailures, _adopted, _continued;
    private bool _seeded;
    private int _started, _disposed;

    private FleetDevice(FleetDeviceOptions options, StateStore store, PrototypeMemory memory, StateStoreOutbox outbox, FleetStateTarget fleet,
        FleetSyncClient client, ILogger logger)
    {
        _options = options;
        _store = store;
        _memory = memory;
        _outbox = outbox;
        _fleet = fleet;
        _client = client;
        _logger = logger;
    }

    /// <summary>Raised on the background worker after a batch of merged entries was stored (and own versions continued); keep handlers short.</summary>
    public event EventHandler? Processed;

    /// <summary>The device id.</summary>
    public string DeviceId => _options.Sync.DeviceId;

    /// <summary>The sync client (connection state, drop counters, events).</summary>
    public FleetSyncClient Client => _client;

    /// <summary>Classes this device taught itself (live, not forgotten).</summary>
    public int OwnClassCount => Volatile.Read(ref _memory).ClassCount;

    /// <summary>Outbox rows not yet acknowledged by the broker.</summary>
    public long PendingOutboxRows => _outbox.PendingRows;

    /// <summary>A snapshot of the counters.</summary>
    public FleetDeviceStatistics Statistics => new(Interlocked.Read(ref _learned), Interlocked.Read(ref _forgotten), Interlocked.Read(ref _commitFailures),
        Interlocked.Read(ref _saved), Interlocked.Read(ref _saveFailures), Interlocked.Read(ref _adopted), Interlocked.Read(ref _continued),
        _outbox.PendingRows, _client.Statistics);

    /// <summary>Opens (or creates) the device's state file and loads its classes, tombstones, fleet entries and pending outbox.</summary>
    /// <param name="options">Settings.</param>
    /// <param name="codec">Signs own entries and verifies received ones; its trust store must hold this device's own key.</param>
    /// <param name="loggerFactory">Diagnostics; silent when null.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="StateStoreException">The state file cannot be opened or read (corrupt, another device or space, locked).</exception>
    public static FleetDevice Open(FleetDeviceOptions options, IFleetEntryCodec codec, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(codec);
        options.Validate();
        ILogger logger = loggerFactory?.CreateLogger<FleetDevice>() ?? (ILogger)NullLogger<FleetDevice>.Instance;
        StateStore store = StateStore.Open(options.StatePath, options.Sync.Space, options.Sync.DeviceId, options.Store);
        try
        {
            var storeLock = new Lock();
            PrototypeMemory memory = store.LoadMemory(options.Memory);
            var fleet = new FleetStateTarget(store.LoadFleetState(includeOwnEntries: false));
            var outbox = new StateStoreOutbox(store, codec, storeLock);
            if (outbox.DiscardedRows > 0)
                Log.OutboxDiscarded(logger, options.Sync.DeviceId, outbox.DiscardedRows);
            var client = new FleetSyncClient(options.Sync, codec, fleet, outbox, loggerFactory?.CreateLogger<FleetSyncClient>());
            Log.DeviceOpened(logger, options.Sync.DeviceId, store.Path, memory.ClassCount, memory.Tombstones.Count, fleet.State.EntryCount, outbox.PendingRows);
            return new FleetDevice(options, store, memory, outbox, fleet, client, logger);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Puts the own entries into the fleet view without syncing (an offline device); <see cref="StartAsync"/> may follow later.</summary>
    public async Task LoadOwnEntriesAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SeedLocked(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Puts the own entries into the fleet view and starts syncing; returns without waiting for the broker.</summary>
    /// <exception cref="InvalidOperationException">Already started.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _started, 1) != 0)
            throw new InvalidOperationException($"Device '{DeviceId}' is already started; open it again to restart.");
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SeedLocked(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
        _viewDirty = true;
        _client.StateChanged += OnStateChanged;
        _client.CommandReceived += OnCommandReceived;
        _worker = Task.Run(() => RunWorkerAsync(_abort.Token), CancellationToken.None);
        await _client.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Completes when the client is connected and every outbox row was acknowledged by the broker.</summary>
    public async Task WaitUntilSyncedAsync(CancellationToken cancellationToken = default)
    {
        await _client.WaitUntilConnectedAsync(cancellationToken).ConfigureAwait(false);
        await _outbox.WhenDrainedAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Learns one labelled example: updates the class, commits it with its signed announcement, then hands it to the sync client.</summary>
    /// <returns>The class's new entry (as committed).</returns>
    /// <exception cref="ArgumentException">The label is invalid or cannot be synced, or the memory is full.</exception>
    /// <exception cref="Core.Errors.EmbeddingException">The embedding has the wrong length or a NaN/Inf value.</exception>
    /// <exception cref="StateStoreException">The store could not write the change (e.g. disk full); nothing was stored or announced.</exception>
    public async Task<FleetEntry> LearnAsync(string label, ReadOnlyMemory<float> embedding, CancellationToken cancellationToken = default)
    {
        EnsureSyncable(label);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            await SeedLocked(cancellationToken).ConfigureAwait(false);
            _memory.Add(label, embedding.Span);
            (FleetEntry entry, byte[]? payload) = CommitLocked(label, announce: true);
            Interlocked.Increment(ref _learned);
            // Committed means acknowledged: hand it over even if the caller gives up now.
            await _client.PublishPayloadAsync(payload!, CancellationToken.None).ConfigureAwait(false);
            return entry;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Learns one labelled example at most once: when <paramref name="exampleId"/> was learned before (a file delivered
    /// again because the device crashed after learning it but before moving it away), nothing changes. The id is
    /// committed in the same transaction as the class, so "learned" and "recorded as learned" cannot diverge.
    /// </summary>
    /// <returns>The class's new entry, or null when the example had been learned already.</returns>
    /// <exception cref="ArgumentException">The label or id is invalid, or the memory is full.</exception>
    /// <exception cref="Core.Errors.EmbeddingException">The embedding has the wrong length or a NaN/Inf value.</exception>
    /// <exception cref="StateStoreException">The store could not write the change; nothing was stored or announced.</exception>
    public async Task<FleetEntry?> LearnOnceAsync(string label, ReadOnlyMemory<float> embedding, string exampleId, CancellationToken cancellationToken = default)
    {
        EnsureSyncable(label);
        ArgumentException.ThrowIfNullOrEmpty(exampleId);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            await SeedLocked(cancellationToken).ConfigureAwait(false);
            lock (_outbox.StoreLock)
            {
                if (_store.HasExample(exampleId))
                    return null;
            }
            _memory.Add(label, embedding.Span);
            (FleetEntry entry, byte[]? payload) = CommitLocked(label, announce: true, (exampleId, label));
            Interlocked.Increment(ref _learned);
            await _client.PublishPayloadAsync(payload!, CancellationToken.None).ConfigureAwait(false);
            return entry;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forgets a class: commits its tombstone with the announcement, then hands it to the sync client.</summary>
    /// <returns>The tombstone, or null when the device had no class with this label.</returns>
    /// <exception cref="StateStoreException">The store could not write the change (e.g. disk full); nothing was stored or announced.</exception>
    public async Task<FleetEntry?> ForgetAsync(string label, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(label);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            await SeedLocked(cancellationToken).ConfigureAwait(false);
            if (!_memory.Forget(label))
                return null;
            (FleetEntry entry, byte[]? payload) = CommitLocked(label, announce: true);
            Interlocked.Increment(ref _forgotten);
            await _client.PublishPayloadAsync(payload!, CancellationToken.None).ConfigureAwait(false);
            return entry;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Classifies an embedding against the fleet prototypes (every device's live entries, this one's included).</summary>
    /// <exception cref="Core.Errors.EmbeddingException">Wrong length or a NaN/Inf value.</exception>
    public Prediction Predict(ReadOnlySpan<float> embedding)
    {
        lock (_viewLock)
            return View().Predict(embedding);
    }

    /// <summary>A copy of the fleet prototypes (one class per label, merged over devices).</summary>
    public PrototypeMemory FleetPrototypes()
    {
        lock (_fleet.SyncRoot)
            return _fleet.State.ToPrototypeMemory(_options.Memory);
    }

    /// <summary>A copy of the merged fleet state (every device's latest entry per class).</summary>
    public FleetState FleetSnapshot()
    {
        var copy = new FleetState(_fleet.State.Space);
        lock (_fleet.SyncRoot)
            copy.Merge(_fleet.State);
        return copy;
    }

    /// <summary>This device's own latest entries (classes and tombstones), as stored.</summary>
    public async Task<IReadOnlyList<FleetEntry>> OwnEntriesAsync(CancellationToken cancellationToken = default) =>
        await _outbox.LatestAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Says goodbye to the broker, stores the entries received so far and closes the state file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _client.DisposeAsync().ConfigureAwait(false);
        await CloseAsync().ConfigureAwait(false);
    }

    /// <summary>Drops the connection without a goodbye and closes the state file as a crash would: unacknowledged rows stay in the outbox.</summary>
    /// <remarks>For tests and failure drills; the device is unusable afterwards.</remarks>
    public async ValueTask AbortAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _client.AbortAsync().ConfigureAwait(false);
        await _abort.CancelAsync().ConfigureAwait(false);
        await CloseAsync().ConfigureAwait(false);
    }

    private async Task CloseAsync()
    {
        _client.StateChanged -= OnStateChanged;
        _client.CommandReceived -= OnCommandReceived;
        _work.Writer.TryComplete();
        if (_worker is not null)
        {
            try
            {
                await _worker.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Aborted.
            }
        }
        // Wait for a local change in flight before the store goes away.
        await _gate.WaitAsync().ConfigureAwait(false);
        lock (_outbox.StoreLock)
            _store.Dispose();
        _gate.Release();
        _abort.Dispose();
    }

    /// <summary>
    /// Once per open: own entries enter the fleet view as the fleet sees them (decoded from their payloads). They are
    /// already stored, so the outbox records nothing new; a stored announcement is reused, the others are signed once.
    /// </summary>
    private async Task SeedLocked(CancellationToken cancellationToken)
    {
        if (_seeded)
            return;
        _seeded = true;
        foreach (FleetEntry entry in await _outbox.LatestAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_outbox.TryGetLatestPayload(entry.Label, out FleetEntry? stored, out byte[]? payload) && stored!.Version == entry.Version)
                await _client.PublishPayloadAsync(payload!, CancellationToken.None).ConfigureAwait(false);
            else
                await _client.PublishAsync(entry, CancellationToken.None).ConfigureAwait(false);
        }
        _viewDirty = true;
    }

    private static void EnsureSyncable(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (!FleetLimits.IsValidLabel(label))
            throw new ArgumentException(
                $"Label '{(label.Length > 16 ? label[..16] + "…" : label)}' cannot be synced: labels are 1..{FleetLimits.MaxLabelBytes} UTF-8 bytes of printable text without leading or trailing spaces.", nameof(label));
    }

    /// <summary>Commits one label; on a store failure reloads the memory so it matches the store again. Caller holds the gate.</summary>
    private (FleetEntry Entry, byte[]? Payload) CommitLocked(string label, bool announce, (string Id, string Label)? example = null)
    {
        try
        {
            (FleetEntry Entry, byte[]? Payload) committed = _outbox.Commit(_memory, [label], announce, example)[0];
            _viewDirty = true;
            return committed;
        }
        catch (StateStoreException)
        {
            Interlocked.Increment(ref _commitFailures);
            lock (_outbox.StoreLock)
                _memory = _store.LoadMemory(_options.Memory);
            throw;
        }
    }

    private PrototypeMemory View()
    {
        if (_view is not null && !_viewDirty)
            return _view;
        _viewDirty = false;
        try
        {
            lock (_fleet.SyncRoot)
                _view = _fleet.State.ToPrototypeMemory(_options.Memory);
        }
        catch (ArgumentException ex)
        {
            Log.RebuildFailed(_logger, DeviceId, ex.Message);
            _view ??= new PrototypeMemory(_fleet.State.Space, _options.Memory);
        }
        return _view;
    }

    private void OnStateChanged(object? sender, FleetStateChangedEventArgs e)
    {
        _viewDirty = true;
        _work.Writer.TryWrite(new Work(e, null));
    }

    private void OnCommandReceived(object? sender, FleetCommandEventArgs e)
    {
        if (e.Command.Kind == FleetCommandKind.ForgetClass && e.Command.Label is { } label)
            _work.Writer.TryWrite(new Work(null, label));
    }

    private async Task RunWorkerAsync(CancellationToken abort)
    {
        var saves = new List<StoredFleetEntry>();
        var own = new List<FleetEntry>();
        var forgets = new List<string>();
        // No cancellation on a clean close: the remaining received entries are stored before the file closes.
        while (await _work.Reader.WaitToReadAsync(abort).ConfigureAwait(false))
        {
            saves.Clear();
            own.Clear();
            forgets.Clear();
            while (saves.Count < SaveBatch && _work.Reader.TryRead(out Work work))
            {
                if (work.Forget is not null)
                    forgets.Add(work.Forget);
                else if (work.Change!.IsOwn)
                    own.Add(work.Change.Entry);
                else
                    saves.Add(new StoredFleetEntry(work.Change.Entry, work.Change.Payload));
            }
            if (saves.Count > 0)
                SaveReceived(saves);
            if (own.Count > 0)
                await ContinueVersionsAsync(own, abort).ConfigureAwait(false);
            foreach (string label in forgets)
            {
                try
                {
                    await ForgetAsync(label, abort).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is StateStoreException or ObjectDisposedException)
                {
                    Log.ContinueFailed(_logger, ex, DeviceId, label);
                }
            }
            try
            {
                Processed?.Invoke(this, EventArgs.Empty);
            }
            catch (Exception ex)
            {
                Log.HandlerFailed(_logger, ex, nameof(Processed));
            }
        }
    }

    private void SaveReceived(List<StoredFleetEntry> saves)
    {
        try
        {
            int stored;
            lock (_outbox.StoreLock)
                stored = _store.SaveFleetEntries(saves);
            Interlocked.Add(ref _saved, stored);
        }
        catch (Exception ex) when (ex is StateStoreException or ArgumentException)
        {
            Interlocked.Increment(ref _saveFailures);
            Log.SaveFailed(_logger, ex, DeviceId, saves.Count);
        }
    }

    /// <summary>Own entries that changed the merged state: ours, or a higher version from the fleet (continue above it).</summary>
    private async Task ContinueVersionsAsync(List<FleetEntry> entries, CancellationToken abort)
    {
        await _gate.WaitAsync(abort).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _disposed) != 0 && abort.IsCancellationRequested)
                return;
            foreach (FleetEntry entry in entries)
            {
                try
                {
                    await ContinueLocked(entry).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is StateStoreException or ArgumentException or ObjectDisposedException or Core.Errors.EmbeddingException)
                {
                    Log.ContinueFailed(_logger, ex, DeviceId, entry.Label);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ContinueLocked(FleetEntry fleetEntry)
    {
        string label = fleetEntry.Label;
        int index = _memory.IndexOf(label);
        long local = index >= 0 ? _memory.SummaryAt(index).Version : _memory.Tombstones.GetValueOrDefault(label);
        if (fleetEntry.Version <= local)
            return; // our own change coming back, or an older copy
        if (local == 0)
        {
            // The store never knew this class (a reinstall): take over the fleet's copy, which needs no announcement.
            if (fleetEntry.IsTombstone)
                _memory.RestoreTombstone(label, fleetEntry.Version);
            else
                _memory.Restore(label, fleetEntry.Count, fleetEntry.Version, fleetEntry.Mean);
            CommitLocked(label, announce: false);
            Interlocked.Increment(ref _adopted);
            Log.VersionContinued(_logger, DeviceId, label, fleetEntry.Version, local, "adopted the fleet's copy");
            return;
        }
        // Changed locally since: keep the local content and announce it above the fleet's version.
        long next = fleetEntry.Version + 1;
        if (index >= 0)
        {
            ClassSummary summary = _memory.SummaryAt(index);
            float[] mean = _memory.MeanAt(index).ToArray();
            _memory.Forget(label);
            _memory.Restore(label, summary.Count, next, mean);
        }
        else
        {
            _memory.RestoreTombstone(label, next);
        }
        (FleetEntry _, byte[]? payload) = CommitLocked(label, announce: true);
        Interlocked.Increment(ref _continued);
        Log.VersionContinued(_logger, DeviceId, label, fleetEntry.Version, local, $"re-announced the local class as version {next}");
        await _client.PublishPayloadAsync(payload!, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>One job for the background worker: a merged entry, or a forget command.</summary>
    private readonly record struct Work(FleetStateChangedEventArgs? Change, string? Forget);
}
