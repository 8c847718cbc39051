using System.Collections.Concurrent;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Fleet.Aggregation;
using EdgeCL.Core.Fleet.Signing;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Payloads;
using EdgeCL.Sync.State;
using EdgeCL.Sync.Topics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeCL.Sync.Aggregation;

/// <summary>
/// The aggregation role (docs/fleet-aggregation.md): receives and verifies every device's entries like any device, and
/// publishes per class one signed <see cref="FleetAggregate"/> and per device one signed <see cref="AggregateReceipt"/>, so
/// that devices in <see cref="FleetReceiveMode.Aggregates"/> mode receive O(classes) messages instead of O(devices × classes).
/// </summary>
/// <remarks>
/// <para>Stateless by design: everything comes back from the broker's retained entries after a restart, and the
/// aggregates it then publishes are identical in content to the ones it published before (and to any other
/// aggregator's), so devices count them as duplicates. Run several for redundancy; they need no coordination.</para>
/// <para>A class is republished when it has been quiet for <see cref="FleetAggregatorOptions.Quiet"/> or changing for
/// <see cref="FleetAggregatorOptions.MaxDelay"/> (doubling, up to <see cref="FleetAggregatorOptions.MaxHold"/>, while it keeps
/// changing), so a burst of N contributions costs a few aggregates, not N; each cycle's aggregates also go out in the
/// retained snapshot-and-delta bundles that devices subscribe to (one delivery per cycle, FleetAggregator.Bundles.cs); while the aggregator is catching up (more than
/// <see cref="FleetAggregatorOptions.CatchingUpBacklog"/> entries waiting, or merged in one of the last two quarter
/// seconds) only after <see cref="FleetAggregatorOptions.MaxHold"/>. Everything is republished after each (re)connect, in
/// case the broker lost its retained messages.</para>
/// <para>Each publish cycle's aggregates are signed together, once, and so are its receipts (<see cref="SignedPayload"/>):
/// a device verifies at most two signatures per cycle, however many classes changed, and entries that devices flushed
/// in batches cost the aggregator one verification per batch (<see cref="EntrySignatureChecks"/>).</para>
/// <para>Thread-safety: start once, dispose once.</para>
/// </remarks>
public sealed partial class FleetAggregator : IAsyncDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(20), RateWindow = TimeSpan.FromMilliseconds(250);

    private readonly FleetAggregatorOptions _options;
    private readonly EntrySigner _signer;
    private readonly FleetStateTarget _state;
    private readonly FleetSyncClient _client;
    private readonly SignedEntryCodec _codec;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, (long First, long Last)> _dirty = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FleetAggregate> _published = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TimeSpan> _holds = new(StringComparer.Ordinal); // classes that kept changing: their current wait
    // device → label → what its receipt says; and the devices whose receipt must go out again.
    private readonly Dictionary<string, SortedDictionary<string, AggregateReceiptLine>> _receipts = new(StringComparer.Ordinal);
    private readonly HashSet<string> _receiptsDue = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private long _aggregatesPublished, _receiptsPublished, _unchanged, _connectsSeen, _signatures;
    // Entries merged, and how many of them in the last rate window: a storm is seen by its arrival rate too.
    private long _merges, _mergesAtWindowStart, _windowStart, _mergesInLastWindow, _mergesInWindowBefore;
    private int _receiptsDueCount, _started, _disposed;

    /// <summary>Creates an aggregator; nothing touches the network until <see cref="StartAsync"/>.</summary>
    /// <param name="options">Settings (validated here).</param>
    /// <param name="signer">The aggregator's key (its id must be <c>options.Sync.DeviceId</c>; not owned).</param>
    /// <param name="deviceKeys">The devices whose entries are aggregated (not owned).</param>
    /// <param name="loggerFactory">Diagnostics; silent when null.</param>
    /// <param name="timeProvider">Clock for the publish schedule; the system clock when null.</param>
    public FleetAggregator(FleetAggregatorOptions options, EntrySigner signer, TrustStore deviceKeys, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(deviceKeys);
        options.Validate();
        if (signer.DeviceId != options.Sync.DeviceId)
            throw new ArgumentException($"Aggregator '{options.Sync.DeviceId}' was given the key of '{signer.DeviceId}'; each aggregator signs with its own key.", nameof(signer));
        _options = options;
        _bundles = CreateBundles(options);
        _signer = signer;
        _time = timeProvider ?? TimeProvider.System;
        _logger = loggerFactory?.CreateLogger<FleetAggregator>() ?? (ILogger)NullLogger<FleetAggregator>.Instance;
        _state = new FleetStateTarget(new FleetState(options.Sync.Space, options.Sync.MergePolicy));
        // About one verified root per device flush: keep as many as a large site has devices.
        _codec = new SignedEntryCodec(signer, deviceKeys, rootCacheCapacity: 4096);
        _client = new FleetSyncClient(options.Sync with { TrackDeviceStatus = false, WatchOwnAggregateBundles = true }, _codec, _state,
            logger: loggerFactory?.CreateLogger<FleetSyncClient>(), timeProvider: timeProvider)
        {
            OwnAggregatePartSeen = (snapshot, index, payload) => _ownParts.Enqueue((snapshot, index, payload)),
        };
        _client.StateChanged += (_, e) =>
        {
            Interlocked.Increment(ref _merges);
            MarkDirty(e.Entry.Label);
        };
    }

    /// <summary>The aggregator's sync client (connection, receive counters, drops).</summary>
    public FleetSyncClient Client => _client;

    /// <summary>Aggregates published (acknowledged by the broker).</summary>
    public long AggregatesPublished => Interlocked.Read(ref _aggregatesPublished);

    /// <summary>Receipts published (acknowledged by the broker).</summary>
    public long ReceiptsPublished => Interlocked.Read(ref _receiptsPublished);

    /// <summary>ECDSA signatures made: per publish cycle one for its aggregates and one for its receipts (per <see cref="SignedPayload.MaxBatchSize"/> messages), or one per message without <see cref="FleetAggregatorOptions.BatchSignatures"/>.</summary>
    public long SignaturesMade => Interlocked.Read(ref _signatures);

    /// <summary>ECDSA verifications of received entries: one per single-signed entry, one per batch root not yet verified.</summary>
    public long EntrySignatureChecks => _codec.Roots.SignatureChecks;

    /// <summary>Classes whose recomputed aggregate equalled the published one, so nothing was sent.</summary>
    public long Unchanged => Interlocked.Read(ref _unchanged);

    /// <summary>Classes with changes not yet published.</summary>
    public int Pending => _dirty.Count;

    /// <summary>A copy of the merged entries.</summary>
    public FleetState Snapshot()
    {
        var copy = new FleetState(_options.Sync.Space, _options.Sync.MergePolicy);
        lock (_state.SyncRoot)
            copy.Merge(_state.State);
        return copy;
    }

    /// <summary>Starts receiving and the publish loop; returns at once.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _started, 1) != 0)
            throw new InvalidOperationException($"Aggregator '{_options.Sync.DeviceId}' is already started.");
        await _client.StartAsync(cancellationToken).ConfigureAwait(false);
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>Completes when nothing is waiting to be published (after <see cref="StartAsync"/> and at least one connect).</summary>
    public async Task WaitUntilIdleAsync(CancellationToken cancellationToken = default)
    {
        await _client.WaitUntilConnectedAsync(cancellationToken).ConfigureAwait(false);
        while (!_dirty.IsEmpty || Volatile.Read(ref _receiptsDueCount) > 0 || _bundles.Pending)
            await Task.Delay(Tick, _time, cancellationToken).ConfigureAwait(false);
    }

    private void MarkDirty(string label)
    {
        long now = _time.GetTimestamp();
        _dirty.AddOrUpdate(label, (now, now), (_, held) => (held.First, now));
    }

    private async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Tick, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                if (!_client.IsConnected)
                    continue;
                long connects = _client.ConnectCount;
                if (connects != _connectsSeen)
                {
                    // A new session: the broker may have lost its retained messages, so everything goes out again.
                    _connectsSeen = connects;
                    _published.Clear();
                    lock (_state.SyncRoot)
                        foreach (string label in _state.State.Labels)
                            MarkDirty(label);
                    foreach (string device in _receipts.Keys)
                        _receiptsDue.Add(device);
                    _bundles.Republish();
                }
                RewriteForeignParts();
                await PublishDueAsync(stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task PublishDueAsync(CancellationToken stop)
    {
        long now = _time.GetTimestamp();
        var due = new List<FleetAggregate>();
        // Catching up, every class is still changing and each aggregate would be out of date before it arrives: hold them
        // (up to MaxHold), so a storm of D × C entries costs devices about C aggregates, not C × (storm / MaxDelay).
        bool catchingUp = _client.PendingReceive > _options.CatchingUpBacklog || IsStorming(now);
        foreach ((string label, (long first, long last)) in _dirty)
        {
            TimeSpan sinceFirst = _time.GetElapsedTime(first, now);
            bool quiet = !catchingUp && _time.GetElapsedTime(last, now) >= _options.Quiet;
            TimeSpan hold = catchingUp ? _options.MaxHold : _holds.GetValueOrDefault(label, _options.MaxDelay);
            if (!quiet && sinceFirst < hold)
                continue;
            // A class that keeps changing waits twice as long each time (up to MaxHold), so a storm of length T costs
            // devices about log2(MaxHold / MaxDelay) + T / MaxHold aggregates of it; a quiet class starts again at MaxDelay.
            if (quiet)
                _holds.Remove(label);
            else
                _holds[label] = TimeSpan.FromTicks(Math.Min(_options.MaxHold.Ticks, 2 * hold.Ticks));
            _dirty.TryRemove(label, out _);
            FleetAggregate? aggregate;
            IReadOnlyList<FleetEntry> contributions;
            lock (_state.SyncRoot)
            {
                aggregate = FleetAggregation.Build(_state.State, label, _options.Sync.DeviceId);
                contributions = [.. _state.State.EntriesOf(label)];
            }
            if (aggregate is null)
                continue;
            if (_published.TryGetValue(label, out FleetAggregate? held) && FleetAggregation.Compare(aggregate, held) == 0)
            {
                Interlocked.Increment(ref _unchanged);
                continue;
            }
            due.Add(aggregate);
            foreach (FleetEntry entry in contributions)
                Receipt(entry, aggregate);
        }
        // One signature for the cycle's aggregates and one for its receipts: two trees, so an aggregate's path grows with
        // the classes that changed (log2), never with the devices whose receipts changed.
        string[] devices = [.. _receiptsDue];
        byte[][] aggregates = SignCycle([.. due.Select(a => FleetAggregateCodec.EncodeBody(a, _signer))]);
        byte[][] receipts = SignCycle([.. devices.Select(d => AggregateReceiptCodec.EncodeBody(new AggregateReceipt
        {
            SpaceId = _options.Sync.Space.Id, AggregatorId = _options.Sync.DeviceId, DeviceId = d, Lines = [.. _receipts[d].Values],
        }, _signer))]);

        bool[] sent = await PublishAllAsync(due.Count, i => (FleetTopics.Aggregate(_options.Sync.Fleet, due[i].SpaceId, due[i].AggregatorId, due[i].Label), aggregates[i]), stop)
            .ConfigureAwait(false);
        for (int i = 0; i < due.Count; i++)
        {
            if (sent[i])
            {
                _published[due[i].Label] = due[i];
                _bundles.Note(due[i].Label, aggregates[i]);
            }
            else
                MarkDirty(due[i].Label); // offline or refused: try again
        }
        Interlocked.Add(ref _aggregatesPublished, sent.Count(s => s));
        await PublishBundlesAsync(stop).ConfigureAwait(false);

        // Receipts after the aggregates they name, so a device usually has the aggregate when its receipt arrives.
        bool[] receipted = await PublishAllAsync(devices.Length,
            i => (FleetTopics.Receipt(_options.Sync.Fleet, _options.Sync.Space.Id, _options.Sync.DeviceId, devices[i]), receipts[i]), stop).ConfigureAwait(false);
        for (int i = 0; i < devices.Length; i++)
            if (receipted[i])
                _receiptsDue.Remove(devices[i]);
        Volatile.Write(ref _receiptsDueCount, _receiptsDue.Count);
        Interlocked.Add(ref _receiptsPublished, receipted.Count(s => s));
    }

    // More than CatchingUpBacklog entries merged in one of the last two quarter seconds: a storm, even when the inbox is
    // short (batch signatures let the aggregator drain it quickly while the rest of the storm still waits in the broker
    // and on the wire; without this, each class went out 4-6 times during a 1,000 x 100 storm instead of 1-2). Two
    // windows, so one window spanning a pause of the process (a GC) does not end the storm.
    private bool IsStorming(long now)
    {
        if (_time.GetElapsedTime(_windowStart, now) >= RateWindow)
        {
            long merges = Interlocked.Read(ref _merges);
            _mergesInWindowBefore = _mergesInLastWindow;
            _mergesInLastWindow = merges - _mergesAtWindowStart;
            _mergesAtWindowStart = merges;
            _windowStart = now;
        }
        return Math.Max(_mergesInLastWindow, _mergesInWindowBefore) > _options.CatchingUpBacklog;
    }

    private byte[][] SignCycle(byte[][] bodies)
    {
        if (!_options.BatchSignatures)
        {
            Interlocked.Add(ref _signatures, bodies.Length);
            return [.. bodies.Select(body => SignedPayload.Sign(body, _signer))];
        }
        Interlocked.Add(ref _signatures, (bodies.Length + SignedPayload.MaxBatchSize - 1) / SignedPayload.MaxBatchSize);
        return SignedPayload.SignBatch(bodies, _signer);
    }

    // A device's receipt changes only when the version of its own entry in the aggregate changes: between such changes
    // the device infers that later aggregates of the same aggregator include the same version (AggregateView).
    private void Receipt(FleetEntry entry, FleetAggregate aggregate)
    {
        if (!_receipts.TryGetValue(entry.DeviceId, out SortedDictionary<string, AggregateReceiptLine>? lines))
            _receipts.Add(entry.DeviceId, lines = new SortedDictionary<string, AggregateReceiptLine>(StringComparer.Ordinal));
        if (lines.TryGetValue(entry.Label, out AggregateReceiptLine held) && held.IncludedVersion == entry.Version)
            return;
        lines[entry.Label] = new AggregateReceiptLine(entry.Label, aggregate.VersionSum, aggregate.DigestPrefix, entry.Version);
        _receiptsDue.Add(entry.DeviceId);
        Volatile.Write(ref _receiptsDueCount, _receiptsDue.Count);
    }

    private async Task<bool[]> PublishAllAsync(int count, Func<int, (string Topic, byte[] Payload)> message, CancellationToken stop)
    {
        var sent = new bool[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = _options.PublishConcurrency, CancellationToken = stop },
            async (i, token) =>
            {
                (string topic, byte[] payload) = message(i);
                sent[i] = await _client.PublishAggregatorMessageAsync(topic, payload, true, token).ConfigureAwait(false);
            }).ConfigureAwait(false);
        return sent;
    }

    /// <summary>Stops the loop and says goodbye to the broker.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
            await _loop.ConfigureAwait(false);
        await _client.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>Drops the connection without a goodbye, as a crash would (for tests).</summary>
    public async ValueTask AbortAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
            await _loop.ConfigureAwait(false);
        await _client.AbortAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
