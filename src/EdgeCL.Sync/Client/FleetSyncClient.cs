using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Bundles;
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
public sealed partial class FleetSyncClient : IAsyncDisposable
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
    private readonly SemaphoreSlim _statusGate = new(1, 1);
    private readonly Dictionary<string, (long Version, byte[] Payload)> _encoded = new(StringComparer.Ordinal);
    private readonly DropLedger _drops = new();
    private readonly CommandVerifier _commands;
    private readonly ConcurrentDictionary<string, DeviceStatus> _statuses = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _heal = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly string _protoFilter, _statusTopic, _commandTopic;
    private readonly X509Certificate2Collection? _fleetCa;
    private readonly X509Certificate2? _clientCertificate;
    private TaskCompletionSource _lost = NewSignal();
    private TaskCompletionSource _connected = NewSignal();
    private Task? _connectionTask, _consumerTask;
    private long _session, _connects, _received, _receivedBytes, _verified, _merged, _redelivered, _published, _publishedBytes, _publishRefused;
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
        if (options.Receive == FleetReceiveMode.Aggregates && state is not IFleetAggregateTarget)
            throw new ArgumentException($"Device '{options.DeviceId}' receives aggregates, so its state target must be an IFleetAggregateTarget (e.g. AggregateStateTarget).", nameof(state));
        // In aggregate mode only this device's own entries come back (to heal a forged copy on its own topic); entries
        // come one per class (proto/) or in bundles (protos/), whichever each device publishes.
        _protoFilter = options.Receive == FleetReceiveMode.Aggregates
            ? FleetTopics.Prototype(options.Fleet, options.Space.Id, options.DeviceId, "x")[..^1] + "#"
            : FleetTopics.PrototypeFilter(options.Fleet, options.Space.Id);
        _protoBundleFilter = options.Receive == FleetReceiveMode.Aggregates
            ? FleetTopics.OwnPrototypeBundleFilter(options.Fleet, options.Space.Id, options.DeviceId)
            : FleetTopics.PrototypeBundleFilter(options.Fleet, options.Space.Id);
        _ownBundles = options.PublishBundles
            ? new RetainedBundles((snapshot, part) => FleetTopics.PrototypeBundle(options.Fleet, options.Space.Id, options.DeviceId, snapshot, part))
            : null;
        _statusTopic = FleetTopics.Status(options.Fleet, options.DeviceId);
        _commandTopic = FleetTopics.Command(options.Fleet, options.DeviceId);
        _commands = new CommandVerifier(options.OperatorKeys, options.Fleet, options.DeviceId, _time, options.CommandNoncePath);
        _acked = _commands.RecentlyActed(DeviceStatus.MaxAcked);
        if (_commands.LoadProblem is { } nonceProblem)
            Log.CommandNoncesForgotten(_logger, options.DeviceId, nonceProblem);
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

    /// <summary>Raised (on the consumer task) after an aggregate or a receipt changed the state (aggregate mode).</summary>
    public event EventHandler<FleetAggregateChangedEventArgs>? AggregateChanged;

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
            return new SyncStatistics(Interlocked.Read(ref _connects), Interlocked.Read(ref _received), Interlocked.Read(ref _merged),
                Interlocked.Read(ref _published), Interlocked.Read(ref _publishedBytes), Interlocked.Read(ref _publishRefused), _drops.Counts())
            {
                Redelivered = Interlocked.Read(ref _redelivered),
                ReceivedBytes = Interlocked.Read(ref _receivedBytes),
                Verified = Interlocked.Read(ref _verified),
            };
        }
    }

    /// <summary>Which topics had messages dropped, and why the last one was (at most <see cref="DropLedger.MaxTopics"/> topics).</summary>
    public IReadOnlyList<DroppedTopic> DroppedTopics => _drops.Topics();

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

    /// <summary>
    /// Records the device's health and, when connected, republishes the retained birth with it (same session number), so
    /// fleet views see the current health; a later reconnect's birth carries it too.
    /// </summary>
    /// <returns>True when the broker acknowledged the status; false when offline (it goes out with the next birth).</returns>
    public async Task<bool> PublishHealthAsync(DeviceHealth health, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(health);
        Volatile.Write(ref _health, health);
        return await RepublishStatusAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Republishes the retained birth with the current health and acknowledgements; false when offline or refused.</summary>
    private async Task<bool> RepublishStatusAsync(CancellationToken cancellationToken)
    {
        DeviceStatus? birth = Volatile.Read(ref _birth);
        if (birth is null || !_mqtt.IsConnected)
            return false;
        try
        {
            using var deadline = Deadline(cancellationToken, _options.OperationTimeout);
            return (await PublishStatusAsync(birth, deadline.Token).ConfigureAwait(false)).IsSuccess;
        }
        catch (Exception ex) when (ex is MqttCommunicationException or ObjectDisposedException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Publishes <paramref name="status"/> made <see cref="Current"/> at the moment it is sent. One at a time, so a
    /// status computed before an acknowledgement can never be the last one the broker keeps.</summary>
    private async Task<MqttClientPublishResult> PublishStatusAsync(DeviceStatus status, CancellationToken cancellationToken)
    {
        await _statusGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await _mqtt.PublishAsync(StatusMessage(Current(status)), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _statusGate.Release();
        }
    }

    /// <summary><paramref name="status"/> with the latest health, acknowledged commands and time.</summary>
    private DeviceStatus Current(DeviceStatus status) => status with
    {
        Health = status.Online ? Volatile.Read(ref _health) : null,
        Acked = Volatile.Read(ref _acked) is { Length: > 0 } acked ? acked : null,
        UpdatedMs = _time.GetUtcNow().ToUnixTimeMilliseconds(),
    };

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
                await PublishStatusAsync(goodbye, deadline.Token).ConfigureAwait(false);
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
}
