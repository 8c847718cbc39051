using System.Threading.Channels;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Fleet.Aggregation;
using EdgeCL.Core.Memory;
using EdgeCL.Storage.Errors;
using EdgeCL.Storage.State;
using EdgeCL.Sync.Client;
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
public sealed partial class FleetDevice : IAsyncDisposable
{
    private const int SaveBatch = 512;

    private readonly FleetDeviceOptions _options;
    private readonly StateStore _store;
    private readonly StateStoreOutbox _outbox;
    private readonly FleetStateTarget _fleet;
    private readonly AggregateFile? _aggregateFile; // aggregate mode: the view this device answers from (_fleet then holds nothing)
    private readonly AggregateStateTarget? _aggregates;
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
        AggregateFile? aggregateFile, FleetSyncClient client, ILogger logger)
    {
        _aggregateFile = aggregateFile;
        _aggregates = aggregateFile?.Target;
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
            bool viaAggregates = options.Sync.Receive == FleetReceiveMode.Aggregates;
            // In aggregate mode other devices' entries are not received, so none are loaded either: the aggregates file is.
            var fleet = new FleetStateTarget(viaAggregates
                ? new FleetState(options.Sync.Space, options.Sync.MergePolicy)
                : store.LoadFleetState(includeOwnEntries: false, options.Sync.MergePolicy));
            AggregateFile? aggregates = null;
            if (viaAggregates)
            {
                aggregates = AggregateFile.Load(options.StatePath, options.Sync, out string? problem);
                if (problem is not null)
                    Log.AggregatesIgnored(logger, options.Sync.DeviceId, aggregates.Path, problem);
            }
            var outbox = new StateStoreOutbox(store, codec, storeLock);
            if (outbox.DiscardedRows > 0)
                Log.OutboxDiscarded(logger, options.Sync.DeviceId, outbox.DiscardedRows);
            var client = new FleetSyncClient(options.Sync, codec, (IFleetStateTarget?)aggregates?.Target ?? fleet, outbox, loggerFactory?.CreateLogger<FleetSyncClient>());
            Log.DeviceOpened(logger, options.Sync.DeviceId, store.Path, memory.ClassCount, memory.Tombstones.Count,
                aggregates?.Target.View.AggregateCount ?? fleet.State.EntryCount, outbox.PendingRows);
            return new FleetDevice(options, store, memory, outbox, fleet, aggregates, client, logger);
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
        _client.AggregateChanged += OnAggregateChanged;
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
        if (_aggregates is not null)
        {
            lock (_aggregates.SyncRoot)
                return _aggregates.View.ToPrototypeMemory(_options.Memory);
        }
        lock (_fleet.SyncRoot)
            return _fleet.State.ToPrototypeMemory(_options.Memory);
    }

    /// <summary>A copy of the merged fleet state (every device's latest entry per class); in aggregate mode only this
    /// device's own entries, since other devices' entries are not received (see <see cref="FleetPrototypes"/>).</summary>
    public FleetState FleetSnapshot()
    {
        var copy = new FleetState(_fleet.State.Space, _fleet.State.Policy);
        if (_aggregates is not null)
        {
            lock (_aggregates.SyncRoot)
                foreach (FleetEntry own in _aggregates.View.OwnEntries)
                    copy.Merge(own);
            return copy;
        }
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
        _client.AggregateChanged -= OnAggregateChanged;
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

    private PrototypeMemory View()
    {
        if (_view is not null && !_viewDirty)
            return _view;
        _viewDirty = false;
        try
        {
            _view = FleetPrototypes();
        }
        catch (ArgumentException ex)
        {
            Log.RebuildFailed(_logger, DeviceId, ex.Message);
            _view ??= new PrototypeMemory(_fleet.State.Space, _options.Memory);
        }
        return _view;
    }
}
