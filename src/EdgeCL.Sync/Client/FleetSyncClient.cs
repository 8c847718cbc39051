using System.Buffers;
using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Commands;
using EdgeCL.Sync.Outbox;
using EdgeCL.Sync.Payloads;
using EdgeCL.Sync.State;
using EdgeCL.Sync.Status;
using EdgeCL.Sync.Topics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;

namespace EdgeCL.Sync.Client;

/// <summary>
/// Keeps one device's share of the fleet state in sync over MQTT: publishes its own entries, merges everybody else's.
/// </summary>
/// <remarks>
/// <para><b>Connection.</b> One background loop owns the MQTT connection: connect (deadline
/// <see cref="FleetSyncOptions.ConnectTimeout"/>), subscribe, publish the retained birth, republish every own entry
/// (Sparkplug-style rebirth: clean sessions only, so nothing depends on the broker keeping a session), drain the outbox,
/// then ping every <see cref="FleetSyncOptions.HealthCheckInterval"/>. When the connection is lost it reconnects with
/// capped exponential backoff and jitter, so a restarted broker is not hit by the whole fleet at once. MQTTnet v5 has no
/// managed client; this loop is the replacement its maintainers recommend (dotnet/MQTTnet#2243), and reconnecting from
/// the <c>DisconnectedAsync</c> event is avoided because their sample flags it as deadlock-prone.</para>
/// <para><b>Receive.</b> The MQTT handler only copies the message into a bounded channel (it awaits when the channel is
/// full, which pushes back on the socket instead of dropping retained entries that would never be re-sent). One consumer
/// decodes, verifies (codec signature, topic device = payload device, topic class = payload class, space), merges into the
/// <see cref="IFleetStateTarget"/> and raises <see cref="StateChanged"/>. Rejected messages are counted per
/// <see cref="SyncDropReason"/> and logged once per sender and reason.</para>
/// <para><b>Own entries.</b> <see cref="PublishAsync"/> merges the entry as the fleet will see it (decoded from its own
/// payload, so fp16 rounding is identical on every device), records it in the <see cref="IFleetOutbox"/> and wakes the
/// connection loop; nothing waits for the network.</para>
/// <para>Thread-safety: all public members may be called from any thread. Events are raised on the consumer task; keep
/// handlers short. Must be disposed (<see cref="DisposeAsync"/> says goodbye with a retained offline status).</para>
/// </remarks>
public sealed class FleetSyncClient : IAsyncDisposable
{
    private const int PendingBatch = 256;

    private readonly FleetSyncOptions _options;
    private readonly IFleetEntryCodec _codec;
    private readonly IFleetStateTarget _state;
    private readonly IFleetOutbox _outbox;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IMqttClient _mqtt;
    private readonly Channel<Inbound> _inbox;
    private readonly Channel<byte> _wake = Channel.CreateBounded<byte>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Lock _stateLock = new();
    private readonly Lock _encodedLock = new();
    private readonly Dictionary<string, (long Version, byte[] Payload)> _encoded = new(StringComparer.Ordinal);
    private readonly long[] _drops = new long[Enum.GetValues<SyncDropReason>().Length];
    private readonly ConcurrentDictionary<(string Sender, SyncDropReason Reason), byte> _loggedDrops = new();
    private readonly ConcurrentDictionary<string, DeviceStatus> _statuses = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _heal = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly string _protoFilter, _statusTopic, _commandTopic;
    private readonly X509Certificate2Collection? _fleetCa;
    private readonly X509Certificate2? _clientCertificate;
    private TaskCompletionSource _lost = NewSignal();
    private TaskCompletionSource _connected = NewSignal();
    private Task? _connectionTask, _consumerTask;
    private long _session, _connects, _received, _merged, _published, _publishedBytes, _publishRefused;
    private volatile bool _rebirthRequested;
    private DeviceHealth? _health;
    private DeviceStatus? _birth;
    private int _started, _disposed;

    /// <summary>Creates a client; nothing touches the network until <see cref="StartAsync"/>.</summary>
    /// <param name="options">Fleet, device, space and broker settings (validated here).</param>
    /// <param name="codec">Encodes/signs own entries and decodes/verifies received ones.</param>
    /// <param name="state">The fleet state verified entries are merged into.</param>
    /// <param name="outbox">Own entries waiting to be published; a <see cref="MemoryFleetOutbox"/> when null.</param>
    /// <param name="logger">Diagnostics; silent when null.</param>
    /// <param name="timeProvider">Clock for backoff and health checks; the system clock when null.</param>
    /// <exception cref="ArgumentException">An option is invalid or a TLS file cannot be read.</exception>
    public FleetSyncClient(FleetSyncOptions options, IFleetEntryCodec codec, IFleetStateTarget state, IFleetOutbox? outbox = null,
        ILogger<FleetSyncClient>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(codec);
        ArgumentNullException.ThrowIfNull(state);
        options.Validate();
        _options = options;
        _codec = codec;
        _state = state;
        _outbox = outbox ?? new MemoryFleetOutbox();
        _logger = logger ?? (ILogger)NullLogger<FleetSyncClient>.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _protoFilter = FleetTopics.PrototypeFilter(options.Fleet, options.Space.Id);
        _statusTopic = FleetTopics.Status(options.Fleet, options.DeviceId);
        _commandTopic = FleetTopics.Command(options.Fleet, options.DeviceId);
        _inbox = Channel.CreateBounded<Inbound>(new BoundedChannelOptions(options.ReceiveQueueCapacity)
        {
            // Wait, not DropOldest: a dropped retained entry would never be delivered again until the sender's next rebirth.
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        try
        {
            if (options.Broker.CaCertificatePath is { } ca)
            {
                _fleetCa = [];
                _fleetCa.ImportFromPemFile(ca);
            }
            if (options.Broker.ClientCertificatePath is { } cert)
                _clientCertificate = X509Certificate2.CreateFromPemFile(cert, options.Broker.ClientKeyPath);
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException($"TLS files of device '{options.DeviceId}' cannot be read ({ex.Message}); they must be PEM (ops/mosquitto/make-certs.sh writes them).", ex);
        }
        _mqtt = new MqttClientFactory().CreateMqttClient();
        _mqtt.ApplicationMessageReceivedAsync += OnMessageReceivedAsync;
        _mqtt.DisconnectedAsync += OnDisconnectedAsync;
    }

    /// <summary>Raised (on the consumer task) after an entry changed the state.</summary>
    public event EventHandler<FleetStateChangedEventArgs>? StateChanged;

    /// <summary>Raised (on the consumer task) for every dropped message, after it was counted.</summary>
    public event EventHandler<MessageDroppedEventArgs>? MessageDropped;

    /// <summary>Raised (on the consumer task) when a valid command for this device arrives; <c>rebirth</c> is also handled here.</summary>
    public event EventHandler<FleetCommandEventArgs>? CommandReceived;

    /// <summary>The settings.</summary>
    public FleetSyncOptions Options => _options;

    /// <summary>Whether the MQTT connection is up.</summary>
    public bool IsConnected => _mqtt.IsConnected;

    /// <summary>The last status (birth or will) seen per device of the fleet.</summary>
    public IReadOnlyDictionary<string, DeviceStatus> DeviceStatuses => new Dictionary<string, DeviceStatus>(_statuses, StringComparer.Ordinal);

    /// <summary>A snapshot of the counters.</summary>
    public SyncStatistics Statistics
    {
        get
        {
            var drops = new Dictionary<SyncDropReason, long>();
            foreach (SyncDropReason reason in Enum.GetValues<SyncDropReason>())
                drops[reason] = Interlocked.Read(ref _drops[(int)reason]);
            return new SyncStatistics(Interlocked.Read(ref _connects), Interlocked.Read(ref _received), Interlocked.Read(ref _merged),
                Interlocked.Read(ref _published), Interlocked.Read(ref _publishedBytes), Interlocked.Read(ref _publishRefused), drops);
        }
    }

    /// <summary>Starts the connection loop and the merge consumer; returns at once (connecting continues in the background).</summary>
    /// <exception cref="InvalidOperationException">The client was already started.</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (Interlocked.Exchange(ref _started, 1) != 0)
            throw new InvalidOperationException($"Sync client of device '{_options.DeviceId}' is already started; create a new client to start again.");
        _consumerTask = Task.Run(() => ConsumeAsync(_stop.Token), CancellationToken.None);
        _connectionTask = Task.Run(() => RunConnectionAsync(_stop.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Completes when the client is connected and has republished its own entries.</summary>
    public Task WaitUntilConnectedAsync(CancellationToken cancellationToken = default) =>
        Volatile.Read(ref _connected).Task.WaitAsync(cancellationToken);

    /// <summary>Publishes one of this device's own entries (a new version of a class, or a tombstone).</summary>
    /// <remarks>
    /// Merges the entry locally at once (as decoded from its own payload), records it in the outbox and wakes the
    /// connection loop; it does not wait for the broker. While offline the outbox keeps it until the next connect.
    /// </remarks>
    /// <exception cref="ArgumentException">The entry belongs to another device or space, has the wrong dimension, or is not newer than the last one of its class.</exception>
    public ValueTask PublishAsync(FleetEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        EnsurePublishable(entry);
        byte[] payload = _codec.Encode(entry);
        if (!_codec.TryDecode(payload, out FleetEntry? wire, out SyncDropReason reason))
            throw new InvalidOperationException($"The codec cannot decode its own payload for '{entry.Label}' ({reason}); check that this device's key is in its trust store.");
        return PublishCoreAsync(entry, payload, wire, cancellationToken);
    }

    /// <summary>Publishes an already encoded (signed) own entry, e.g. the payload that was committed to a durable outbox with the change.</summary>
    /// <remarks>The exact bytes are what the broker receives, so the stored announcement and the published one are identical. Otherwise as <see cref="PublishAsync"/>.</remarks>
    /// <exception cref="ArgumentException">The payload does not decode and verify with this client's codec, or its entry is not publishable (see <see cref="PublishAsync"/>).</exception>
    public ValueTask PublishPayloadAsync(byte[] payload, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!_codec.TryDecode(payload, out FleetEntry? wire, out SyncDropReason reason))
            throw new ArgumentException($"The payload to publish does not decode with device '{_options.DeviceId}''s codec ({reason}); encode it with the same codec and key.", nameof(payload));
        EnsurePublishable(wire);
        return PublishCoreAsync(wire, payload, wire, cancellationToken);
    }

    private void EnsurePublishable(FleetEntry entry)
    {
        if (entry.DeviceId != _options.DeviceId)
            throw new ArgumentException($"Entry of device '{entry.DeviceId}' cannot be published by device '{_options.DeviceId}'; a device writes only its own entries.", nameof(entry));
        if (entry.SpaceId != _options.Space.Id)
            throw new ArgumentException($"Entry '{entry.Label}' is from space {entry.SpaceId} but this client syncs space {_options.Space.Id}.", nameof(entry));
        if (!entry.IsTombstone && entry.Mean.Length != _options.Space.Dimension)
            throw new ArgumentException($"Entry '{entry.Label}' has {entry.Mean.Length} values; space {_options.Space.Id} is {_options.Space.Dimension}-d.", nameof(entry));
        if (entry.Version < 1)
            throw new ArgumentException($"Entry '{entry.Label}' has version {entry.Version}; versions start at 1.", nameof(entry));
    }

    private async ValueTask PublishCoreAsync(FleetEntry entry, byte[] payload, FleetEntry wire, CancellationToken cancellationToken)
    {
        lock (_encodedLock)
        {
            if (_encoded.TryGetValue(entry.Label, out var held) && held.Version > entry.Version)
                throw new ArgumentException($"Entry '{entry.Label}' version {entry.Version} is older than the published version {held.Version}; increment the version on every change.", nameof(entry));
            // An equal version was already taken from a durable outbox by a rebirth running concurrently: same entry, keep it.
            if (held.Payload is null || held.Version < entry.Version)
                _encoded[entry.Label] = (entry.Version, payload);
        }
        await _outbox.AddAsync(entry, cancellationToken).ConfigureAwait(false);
        FleetMergeOutcome outcome;
        lock (_stateLock)
            outcome = _state.Merge(wire);
        if (outcome is FleetMergeOutcome.Applied or FleetMergeOutcome.Conflict)
        {
            Interlocked.Increment(ref _merged);
            RaiseStateChanged(wire, isOwn: true, payload);
        }
        _wake.Writer.TryWrite(0);
    }

    /// <summary>
    /// Records the device's health and, when connected, republishes the retained birth with it (same session number), so
    /// fleet views see the current health; a later reconnect's birth carries it too.
    /// </summary>
    /// <returns>True when the broker acknowledged the status; false when offline (it goes out with the next birth).</returns>
    public async Task<bool> PublishHealthAsync(DeviceHealth health, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(health);
        Volatile.Write(ref _health, health);
        DeviceStatus? birth = Volatile.Read(ref _birth);
        if (birth is null || !_mqtt.IsConnected)
            return false;
        try
        {
            using var deadline = Deadline(cancellationToken, _options.OperationTimeout);
            MqttClientPublishResult published = await _mqtt.PublishAsync(StatusMessage(birth with { Health = health }), deadline.Token).ConfigureAwait(false);
            return published.IsSuccess;
        }
        catch (Exception ex) when (ex is MqttCommunicationException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Asks the connection loop to republish every own entry now (what a <c>rebirth</c> command does).</summary>
    public void RequestRebirth()
    {
        _rebirthRequested = true;
        _wake.Writer.TryWrite(0);
    }

    /// <summary>Says goodbye (retained offline status, clean DISCONNECT so no will is sent) and stops the loops.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _started) == 0 || _stop.IsCancellationRequested)
            return;
        await _stop.CancelAsync().ConfigureAwait(false);
        _inbox.Writer.TryComplete();
        try
        {
            if (_connectionTask is not null)
                await _connectionTask.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (_consumerTask is not null)
                await _consumerTask.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The loops end by cancellation; that is the normal way out.
        }
        if (_mqtt.IsConnected)
        {
            try
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                deadline.CancelAfter(_options.OperationTimeout);
                var goodbye = new DeviceStatus { Online = false, Space = _options.Space.Id, Session = Interlocked.Read(ref _session), TimeMs = _time.GetUtcNow().ToUnixTimeMilliseconds() };
                await _mqtt.PublishAsync(StatusMessage(goodbye), deadline.Token).ConfigureAwait(false);
                await _mqtt.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(),
                    deadline.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransient(ex))
            {
                // The broker is gone or slow: the will (online=false) covers the goodbye.
            }
        }
    }

    /// <summary>Stops (see <see cref="StopAsync"/>) and releases the MQTT client.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        try
        {
            using var deadline = new CancellationTokenSource(_options.OperationTimeout + _options.OperationTimeout);
            await StopAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // A stuck network call must not block disposal.
        }
        _mqtt.Dispose();
        _stop.Dispose();
    }

    /// <summary>Abandons the connection without a goodbye, as a crash or power loss would (the broker publishes the will).</summary>
    /// <remarks>For tests and simulations of device failure; the client is unusable afterwards.</remarks>
    public async ValueTask AbortAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _stop.CancelAsync().ConfigureAwait(false);
        _inbox.Writer.TryComplete();
        // Dispose closes the socket without DISCONNECT, so the broker treats it as an unexpected loss.
        _mqtt.Dispose();
        try
        {
            if (_connectionTask is not null)
                await _connectionTask.ConfigureAwait(false);
            if (_consumerTask is not null)
                await _consumerTask.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || IsTransient(ex))
        {
            // Expected: the loops were cut off mid-call.
        }
        _stop.Dispose();
    }

    private async Task RunConnectionAsync(CancellationToken stop)
    {
        int failures = 0;
        while (!stop.IsCancellationRequested)
        {
            string? failure;
            try
            {
                failure = await ConnectOnceAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (IsTransient(ex))
            {
                failure = OneLine(ex);
            }
            if (failure is null)
            {
                failures = 0;
                try
                {
                    failure = await RunSessionAsync(stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex) when (IsTransient(ex))
                {
                    failure = OneLine(ex);
                }
                Volatile.Write(ref _connected, NewSignal());
                Log.ConnectionLost(_logger, _options.DeviceId, failure);
                await ForceDisconnectAsync().ConfigureAwait(false);
            }
            failures++;
            TimeSpan delay = Backoff(failures);
            if (failures > 1 || failure is not null)
                Log.ConnectFailed(_logger, _options.DeviceId, _options.Broker.Host, _options.Broker.Port, failure ?? "connection lost", (long)delay.TotalMilliseconds);
            try
            {
                await Task.Delay(delay, _time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One connect attempt: CONNECT, SUBSCRIBE, retained birth. Returns null on success, else why it failed.</summary>
    private async Task<string?> ConnectOnceAsync(CancellationToken stop)
    {
        long session = Interlocked.Increment(ref _session);
        var birth = new DeviceStatus { Online = true, Space = _options.Space.Id, Session = session, TimeMs = _time.GetUtcNow().ToUnixTimeMilliseconds(), Health = Volatile.Read(ref _health) };
        MqttClientOptions mqttOptions = BuildMqttOptions(birth with { Online = false, Health = null });
        Volatile.Write(ref _birth, birth);
        Volatile.Write(ref _lost, NewSignal());
        using (var deadline = Deadline(stop, _options.ConnectTimeout))
        {
            MqttClientConnectResult result;
            try
            {
                result = await _mqtt.ConnectAsync(mqttOptions, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stop.IsCancellationRequested)
            {
                return $"no CONNACK within {_options.ConnectTimeout.TotalSeconds:0.#} s";
            }
            if (result.ResultCode != MqttClientConnectResultCode.Success)
                return $"broker refused the connection ({result.ResultCode}{(string.IsNullOrEmpty(result.ReasonString) ? "" : ": " + result.ReasonString)}); check the user name, password or certificate of device '{_options.DeviceId}'";
        }

        var subscribe = new MqttClientSubscribeOptionsBuilder()
            // No-local: our own publishes need not come back; the local merge already has them.
            .WithTopicFilter(_protoFilter, MqttQualityOfServiceLevel.AtLeastOnce, noLocal: true, retainAsPublished: false, MqttRetainHandling.SendAtSubscribe)
            .WithTopicFilter(_commandTopic, MqttQualityOfServiceLevel.AtLeastOnce, noLocal: false, retainAsPublished: false, MqttRetainHandling.DoNotSendOnSubscribe);
        if (_options.TrackDeviceStatus)
            subscribe.WithTopicFilter(FleetTopics.StatusFilter(_options.Fleet), MqttQualityOfServiceLevel.AtLeastOnce, noLocal: false, retainAsPublished: false, MqttRetainHandling.SendAtSubscribe);
        using (var deadline = Deadline(stop, _options.OperationTimeout))
        {
            MqttClientSubscribeResult subscribed = await _mqtt.SubscribeAsync(subscribe.Build(), deadline.Token).ConfigureAwait(false);
            foreach (MqttClientSubscribeResultItem item in subscribed.Items)
                if (item.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2)
                    Log.Refused(_logger, $"subscription to {item.TopicFilter.Topic}", _options.DeviceId, item.ResultCode.ToString());
            MqttClientPublishResult published = await _mqtt.PublishAsync(StatusMessage(birth), deadline.Token).ConfigureAwait(false);
            if (!published.IsSuccess)
                Log.Refused(_logger, "the birth message", _options.DeviceId, published.ReasonCode.ToString());
        }
        Interlocked.Increment(ref _connects);
        Log.Connected(_logger, _options.DeviceId, _options.Broker.Host, _options.Broker.Port, session);
        return null;
    }

    /// <summary>Runs one connected session: rebirth, drain the outbox, health pings. Returns why the session ended.</summary>
    private async Task<string> RunSessionAsync(CancellationToken stop)
    {
        Task lost = Volatile.Read(ref _lost).Task;
        _rebirthRequested = true;
        bool announced = false;
        while (true)
        {
            if (lost.IsCompleted)
                return "the broker closed the connection";
            if (_rebirthRequested)
            {
                _rebirthRequested = false;
                IReadOnlyList<FleetEntry> latest = await _outbox.LatestAsync(stop).ConfigureAwait(false);
                await PublishEntriesAsync(latest, stop).ConfigureAwait(false);
                Log.Rebirth(_logger, _options.DeviceId, latest.Count);
            }
            if (!_heal.IsEmpty)
                await HealAsync(stop).ConfigureAwait(false);
            IReadOnlyList<FleetEntry> pending = await _outbox.PendingAsync(PendingBatch, stop).ConfigureAwait(false);
            if (pending.Count > 0)
            {
                await PublishEntriesAsync(pending, stop).ConfigureAwait(false);
                continue;
            }
            if (!announced)
            {
                // Connected and caught up: only now do waiters (tests, the simulation) see the client as connected.
                announced = true;
                Volatile.Read(ref _connected).TrySetResult();
            }
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(stop);
            Task wake = _wake.Reader.WaitToReadAsync(idle.Token).AsTask();
            Task tick = Task.Delay(_options.HealthCheckInterval, _time, idle.Token);
            Task first = await Task.WhenAny(wake, tick, lost).ConfigureAwait(false);
            await idle.CancelAsync().ConfigureAwait(false);
            stop.ThrowIfCancellationRequested();
            if (first == lost)
                return "the broker closed the connection";
            if (first == wake)
            {
                _wake.Reader.TryRead(out _);
                continue;
            }
            using var deadline = Deadline(stop, _options.OperationTimeout);
            if (!await _mqtt.TryPingAsync(deadline.Token).ConfigureAwait(false))
                return $"no ping response within {_options.OperationTimeout.TotalSeconds:0.#} s";
        }
    }

    /// <summary>Republishes own classes whose retained copy was replaced by a replay or a forgery; clears topics of classes we never wrote.</summary>
    private async Task HealAsync(CancellationToken stop)
    {
        IReadOnlyList<FleetEntry> latest = await _outbox.LatestAsync(stop).ConfigureAwait(false);
        var own = new HashSet<string>(StringComparer.Ordinal);
        var heal = new List<FleetEntry>();
        foreach (FleetEntry entry in latest)
        {
            own.Add(entry.Label);
            if (_heal.TryRemove(entry.Label, out _))
                heal.Add(entry);
        }
        await PublishEntriesAsync(heal, stop).ConfigureAwait(false);
        foreach (string label in _heal.Keys)
        {
            // A label of ours rescheduled while we were publishing (a second forgery arrived) is healed by the next
            // pass; clearing it here would delete our own genuine retained entry.
            if (own.Contains(label))
                continue;
            _heal.TryRemove(label, out _);
            // An empty retained payload deletes the retained message (MQTT 5 §3.3.1.3).
            MqttApplicationMessage clear = new MqttApplicationMessageBuilder()
                .WithTopic(FleetTopics.Prototype(_options.Fleet, _options.Space.Id, _options.DeviceId, label))
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithRetainFlag()
                .Build();
            using var deadline = Deadline(stop, _options.OperationTimeout);
            await _mqtt.PublishAsync(clear, deadline.Token).ConfigureAwait(false);
        }
    }

    private async Task PublishEntriesAsync(IReadOnlyList<FleetEntry> entries, CancellationToken stop)
    {
        var window = new List<Task>(_options.PublishConcurrency);
        for (int start = 0; start < entries.Count; start += _options.PublishConcurrency)
        {
            window.Clear();
            int end = Math.Min(entries.Count, start + _options.PublishConcurrency);
            for (int i = start; i < end; i++)
                window.Add(PublishOneAsync(entries[i], stop));
            await Task.WhenAll(window).ConfigureAwait(false);
        }
    }

    private async Task PublishOneAsync(FleetEntry entry, CancellationToken stop)
    {
        byte[] payload = EncodedPayload(entry);
        MqttApplicationMessage message = new MqttApplicationMessageBuilder()
            .WithTopic(FleetTopics.Prototype(_options.Fleet, _options.Space.Id, _options.DeviceId, entry.Label))
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag()
            .Build();
        using var deadline = Deadline(stop, _options.OperationTimeout);
        MqttClientPublishResult result = await _mqtt.PublishAsync(message, deadline.Token).ConfigureAwait(false);
        if (result.IsSuccess)
        {
            Interlocked.Increment(ref _published);
            Interlocked.Add(ref _publishedBytes, payload.Length);
        }
        else
        {
            // A refusal (e.g. NotAuthorized from the ACL) will not change by retrying; count it and move on.
            if (Interlocked.Increment(ref _publishRefused) == 1)
                Log.Refused(_logger, $"publish of '{entry.Label}'", _options.DeviceId, result.ReasonCode.ToString());
        }
        await _outbox.MarkPublishedAsync(entry, stop).ConfigureAwait(false);
    }

    private byte[] EncodedPayload(FleetEntry entry)
    {
        lock (_encodedLock)
        {
            if (_encoded.TryGetValue(entry.Label, out var held) && held.Version == entry.Version)
                return held.Payload;
        }
        // An entry restored from a durable outbox after a restart: encode (sign) it once and keep it.
        byte[] payload = _codec.Encode(entry);
        lock (_encodedLock)
        {
            if (!_encoded.TryGetValue(entry.Label, out var held) || held.Version < entry.Version)
                _encoded[entry.Label] = (entry.Version, payload);
        }
        return payload;
    }

    private Task OnMessageReceivedAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        MqttApplicationMessage message = e.ApplicationMessage;
        long length = message.Payload.Length;
        // Oversized payloads are not copied: only their size is needed to count the drop.
        byte[]? payload = length > _options.MaxPayloadBytes ? null : message.Payload.ToArray();
        var item = new Inbound(message.Topic, payload, length);
        if (_inbox.Writer.TryWrite(item))
            return Task.CompletedTask;
        return WriteSlowAsync(item);
    }

    private async Task WriteSlowAsync(Inbound item)
    {
        try
        {
            await _inbox.Writer.WriteAsync(item, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            // Stopping: the message is lost with the connection, and the sender's next rebirth restores it.
        }
    }

    private Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs e)
    {
        // Only signal: reconnecting from this event can deadlock (MQTTnet Client_Connection_Samples).
        Volatile.Read(ref _lost).TrySetResult();
        return Task.CompletedTask;
    }

    private async Task ConsumeAsync(CancellationToken stop)
    {
        try
        {
            await foreach (Inbound item in _inbox.Reader.ReadAllAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    Process(item);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // One bad message (or a throwing event handler) must not stop the merge.
                    Log.ProcessingFailed(_logger, ex, item.Topic);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private void Process(Inbound item)
    {
        if (!FleetTopics.TryParse(item.Topic, out FleetTopic topic) || topic.Fleet != _options.Fleet)
        {
            Drop("unknown", item.Topic, SyncDropReason.Malformed, "not an edgecl/v1 topic of this fleet");
            return;
        }
        switch (topic.Kind)
        {
            case FleetTopicKind.Status:
                if (item.Payload is { Length: > 0 } statusPayload && DeviceStatus.TryParse(statusPayload, out DeviceStatus? status))
                    _statuses[topic.Device] = status;
                else if (item.Length == 0)
                    _statuses.TryRemove(topic.Device, out _);
                return;
            case FleetTopicKind.Command:
                HandleCommand(topic, item);
                return;
            case FleetTopicKind.Prototype:
                HandleEntry(topic, item);
                return;
        }
    }

    private void HandleEntry(FleetTopic topic, Inbound item)
    {
        if (item.Length == 0)
            return; // a cleared retained entry; the state keeps what it merged (entries are removed by tombstones)
        Interlocked.Increment(ref _received);
        FleetEntry? entry = CheckEntry(topic, item);
        if (entry is null)
        {
            // Something that is not our entry sits on our own topic (a forgery through a compromised broker, a
            // corrupted copy): put the real one back, or clear the topic if we never wrote that class.
            if (topic.Device == _options.DeviceId && topic.SpaceId == _options.Space.Id && topic.Label is not null)
                ScheduleHeal(topic.Label);
            return;
        }
        bool own = entry.DeviceId == _options.DeviceId;
        FleetMergeOutcome outcome;
        lock (_stateLock)
            outcome = _state.Merge(entry);
        if (outcome is FleetMergeOutcome.WrongSpace or FleetMergeOutcome.Invalid)
        {
            Drop(topic.Device, item.Topic, outcome == FleetMergeOutcome.WrongSpace ? SyncDropReason.WrongSpace : SyncDropReason.Malformed,
                $"the fleet state rejected it ({outcome})");
            return;
        }
        if (outcome is not (FleetMergeOutcome.Applied or FleetMergeOutcome.Conflict))
        {
            // Our own retained entries coming back after a reconnect are expected, not replays.
            if (!own)
            {
                Drop(topic.Device, item.Topic, SyncDropReason.Stale, $"version {entry.Version} is not newer");
            }
            else if (IsOlderThanPublished(entry))
            {
                // Someone replayed an old version of our entry; the retained copy now regresses late joiners until we
                // publish the latest again.
                Drop(topic.Device, item.Topic, SyncDropReason.Stale, $"replay of own version {entry.Version}");
                ScheduleHeal(entry.Label);
            }
            return;
        }
        Interlocked.Increment(ref _merged);
        RaiseStateChanged(entry, own, item.Payload);
    }

    /// <summary>Decodes and verifies one entry message; null (after counting the drop) when it must not reach the state.</summary>
    private FleetEntry? CheckEntry(FleetTopic topic, Inbound item)
    {
        if (item.Payload is null)
        {
            Drop(topic.Device, item.Topic, SyncDropReason.Oversized, $"{item.Length} bytes > {_options.MaxPayloadBytes}");
            return null;
        }
        if (topic.SpaceId != _options.Space.Id)
        {
            Drop(topic.Device, item.Topic, SyncDropReason.WrongSpace, $"topic space {topic.SpaceId}");
            return null;
        }
        if (!_codec.TryDecode(item.Payload, out FleetEntry? entry, out SyncDropReason reason))
        {
            Drop(topic.Device, item.Topic, reason, "payload rejected by the codec");
            return null;
        }
        if (entry.DeviceId != topic.Device || entry.Label != topic.Label)
        {
            Drop(topic.Device, item.Topic, SyncDropReason.Forged, $"payload is {entry.DeviceId}/{entry.Label}, topic says {topic.Device}/{topic.Label}");
            return null;
        }
        if (entry.SpaceId != _options.Space.Id)
        {
            Drop(topic.Device, item.Topic, SyncDropReason.WrongSpace, $"payload space {entry.SpaceId}");
            return null;
        }
        if (!entry.IsTombstone && entry.Mean.Length != _options.Space.Dimension)
        {
            Drop(topic.Device, item.Topic, SyncDropReason.Malformed, $"{entry.Mean.Length} values in a {_options.Space.Dimension}-d space");
            return null;
        }
        return entry;
    }

    private void ScheduleHeal(string label)
    {
        _heal[label] = 0;
        _wake.Writer.TryWrite(0);
    }

    private bool IsOlderThanPublished(FleetEntry entry)
    {
        lock (_encodedLock)
            return _encoded.TryGetValue(entry.Label, out var held) && held.Version > entry.Version;
    }

    private void HandleCommand(FleetTopic topic, Inbound item)
    {
        if (topic.Device != _options.DeviceId || item.Payload is null)
            return;
        if (!FleetCommand.TryParse(item.Payload, topic.Device, out FleetCommand? command, out string error))
        {
            Log.BadCommand(_logger, topic.Device, error);
            return;
        }
        if (command.Kind == FleetCommandKind.Rebirth)
            RequestRebirth();
        try
        {
            CommandReceived?.Invoke(this, new FleetCommandEventArgs(command));
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(_logger, ex, nameof(CommandReceived));
        }
    }

    private void RaiseStateChanged(FleetEntry entry, bool isOwn, byte[]? payload)
    {
        try
        {
            StateChanged?.Invoke(this, new FleetStateChangedEventArgs(entry, isOwn, payload));
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(_logger, ex, nameof(StateChanged));
        }
    }

    private void Drop(string sender, string topic, SyncDropReason reason, string detail)
    {
        Interlocked.Increment(ref _drops[(int)reason]);
        if (_loggedDrops.TryAdd((sender, reason), 0))
            Log.Dropped(_logger, sender, topic, reason, detail);
        try
        {
            MessageDropped?.Invoke(this, new MessageDroppedEventArgs(sender, topic, reason));
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(_logger, ex, nameof(MessageDropped));
        }
    }

    private MqttClientOptions BuildMqttOptions(DeviceStatus will)
    {
        FleetBrokerOptions broker = _options.Broker;
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(broker.Host, broker.Port)
            .WithClientId(_options.DeviceId)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            // Clean sessions only: state comes back by rebirth, never from a broker session (Sparkplug B; MQTTnet.Server
            // drops sessions by default).
            .WithCleanStart(true)
            .WithSessionExpiryInterval(0)
            .WithKeepAlivePeriod(_options.KeepAlive)
            .WithTimeout(_options.OperationTimeout)
            .WithWillTopic(_statusTopic)
            .WithWillPayload(will.ToPayload())
            .WithWillRetain(true)
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithWillDelayInterval((uint)_options.WillDelay.TotalSeconds);
        if (broker.UserName is not null)
            builder.WithCredentials(broker.UserName, broker.Password ?? string.Empty);
        if (broker.IsTls)
        {
            builder.WithTlsOptions(tls =>
            {
                tls.UseTls(true)
                    .WithTargetHost(broker.TlsServerName ?? broker.Host)
                    .WithSslProtocols(SslProtocols.Tls12 | SslProtocols.Tls13)
                    .WithCertificateValidationHandler(ValidateBrokerCertificate);
                if (_clientCertificate is not null)
                    tls.WithClientCertificates([_clientCertificate]);
            });
        }
        return builder.Build();
    }

    private bool ValidateBrokerCertificate(MqttClientCertificateValidationEventArgs e)
    {
        if (e.SslPolicyErrors == SslPolicyErrors.None)
            return true;
        // A wrong host name or a missing certificate is never excused by the fleet CA.
        if (_fleetCa is null || e.Certificate is null
            || (e.SslPolicyErrors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_fleetCa);
        // A private fleet CA publishes no CRL/OCSP endpoint; revocation is handled by re-issuing the broker certificate.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (e.Chain is not null)
            foreach (X509ChainElement element in e.Chain.ChainElements)
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        using var leaf = X509CertificateLoader.LoadCertificate(e.Certificate.GetRawCertData());
        return chain.Build(leaf);
    }

    private MqttApplicationMessage StatusMessage(DeviceStatus status) => new MqttApplicationMessageBuilder()
        .WithTopic(_statusTopic)
        .WithPayload(status.ToPayload())
        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
        .WithRetainFlag()
        .Build();

    private async Task ForceDisconnectAsync()
    {
        if (!_mqtt.IsConnected)
            return;
        try
        {
            using var deadline = new CancellationTokenSource(_options.OperationTimeout);
            await _mqtt.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.DisconnectWithWillMessage).Build(),
                deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsTransient(ex))
        {
            // Already half-closed; the next ConnectAsync starts from a clean adapter.
        }
    }

    private TimeSpan Backoff(int failures)
    {
        // Capped exponential backoff with "equal jitter": half fixed, half random, so a fleet that lost the same broker
        // spreads its reconnects instead of arriving together.
        double min = _options.MinReconnectDelay.TotalMilliseconds, max = _options.MaxReconnectDelay.TotalMilliseconds;
        double ceiling = Math.Min(max, min * Math.Pow(2, Math.Min(failures - 1, 30)));
        return TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }

    private static CancellationTokenSource Deadline(CancellationToken stop, TimeSpan timeout)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(stop);
        cts.CancelAfter(timeout);
        return cts;
    }

    private static bool IsTransient(Exception ex) =>
        ex is MqttCommunicationException or IOException or System.Net.Sockets.SocketException or AuthenticationException
            or OperationCanceledException or InvalidOperationException or ObjectDisposedException;

    private static string OneLine(Exception ex)
    {
        string message = ex.Message;
        int nl = message.IndexOfAny(['\r', '\n']);
        return (nl < 0 ? message : message[..nl]) + $" ({ex.GetType().Name})";
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>One received message as the consumer sees it.</summary>
    private readonly record struct Inbound(string Topic, byte[]? Payload, long Length);
}
