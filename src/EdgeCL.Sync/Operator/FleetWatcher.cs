using System.Buffers;
using System.Threading.Channels;
using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Commands;
using EdgeCL.Sync.Topics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeCL.Sync.Operator;

/// <summary>
/// Keeps a <see cref="FleetView"/> live for <c>edgecl fleet serve</c>: one operator connection subscribed to the fleet's
/// statuses, entries and commands; sends signed commands (retained, through <see cref="CommandSender"/>) and clears each
/// retained command once its device acknowledged it. Reconnects with backoff when the broker goes away.
/// </summary>
public sealed partial class FleetWatcher : IAsyncDisposable
{
    private const int MaxMessageBytes = 64 * 1024;
    private readonly FleetBrokerOptions _broker;
    private readonly string _clientId;
    private readonly ILogger _logger;
    private readonly IMqttClient _mqtt;
    private readonly Channel<byte> _wake = Channel.CreateBounded<byte>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _loop = Task.CompletedTask;
    private volatile string? _lastError;

    /// <summary>A watcher of <paramref name="view"/>'s fleet on <paramref name="broker"/> (an operator account).</summary>
    public FleetWatcher(FleetBrokerOptions broker, FleetView view, string clientId, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(view);
        _broker = broker;
        View = view;
        _clientId = clientId;
        _logger = logger ?? NullLogger.Instance;
        _mqtt = new MqttClientFactory().CreateMqttClient();
        _mqtt.ApplicationMessageReceivedAsync += e =>
        {
            MqttApplicationMessage m = e.ApplicationMessage;
            // Nothing of the fleet's is larger than a status; bigger junk is not even copied.
            if (m.Payload.Length <= MaxMessageBytes && View.Apply(m.Topic, m.Payload.ToArray(), m.Retain))
            {
                Changed?.Invoke();
                _wake.Writer.TryWrite(0); // the loop clears acknowledged commands (publishing from this handler could deadlock)
            }
            return Task.CompletedTask;
        };
        _mqtt.DisconnectedAsync += _ =>
        {
            Volatile.Read(ref _lost).TrySetResult();
            return Task.CompletedTask;
        };
    }

    /// <summary>Raised (on the MQTT receive path; keep it short) after the view changed.</summary>
    public event Action? Changed;

    /// <summary>The view kept live.</summary>
    public FleetView View { get; }

    /// <summary>Whether the connection is up.</summary>
    public bool IsConnected => _mqtt.IsConnected;

    /// <summary>Why the last connect failed, or null.</summary>
    public string? LastError => _lastError;

    /// <summary>Connects once (a refused login or an unreachable broker is an error here, in one line), then keeps the
    /// connection in the background.</summary>
    /// <exception cref="ArgumentException">The broker refused the login.</exception>
    /// <exception cref="IOException">The broker cannot be reached.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await ConnectAsync(cancellationToken).ConfigureAwait(false);
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>Signs and sends <paramref name="command"/> retained (the path of <c>edgecl fleet command --retain</c>); it shows as pending.</summary>
    /// <exception cref="IOException">Not connected to the broker now.</exception>
    public async Task<SignedCommand> SendAsync(FleetCommand command, EntrySigner operatorKey, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        if (!_mqtt.IsConnected)
            throw new IOException($"not connected to the broker at {_broker.Host}:{_broker.Port} ({_lastError ?? "reconnecting"}); try again when the page says connected");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(10));
        SignedCommand signed = await CommandSender.SendAsync(_mqtt, View.Fleet, command, operatorKey, lifetime, retain: true, deadline.Token).ConfigureAwait(false);
        View.Sent(signed, retained: true);
        Changed?.Invoke();
        return signed;
    }

    /// <summary>Stops and disconnects.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or MQTTnet.Exceptions.MqttCommunicationException or ObjectDisposedException)
        {
            // Stopping mid-call.
        }
        try
        {
            if (_mqtt.IsConnected)
                await _mqtt.DisconnectAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or ObjectDisposedException)
        {
        }
        _mqtt.Dispose();
        _stop.Dispose();
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        Volatile.Write(ref _lost, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(10));
        await OperatorLogin.ConnectAsync(_mqtt, _broker, _clientId, deadline.Token, cancellationToken).ConfigureAwait(false);
        await _mqtt.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(FleetTopics.StatusFilter(View.Fleet), MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter(FleetTopics.AllPrototypesFilter(View.Fleet), MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter(FleetTopics.AllPrototypeBundlesFilter(View.Fleet), MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter(FleetTopics.AllCommandsFilter(View.Fleet), MqttQualityOfServiceLevel.AtLeastOnce).Build(), deadline.Token).ConfigureAwait(false);
        _lastError = null;
        WatcherLog.Connected(_logger, _broker.Host, _broker.Port, View.Fleet);
        _wake.Writer.TryWrite(0);
    }

    private async Task RunAsync(CancellationToken stop)
    {
        int failures = 0;
        while (!stop.IsCancellationRequested)
        {
            if (_mqtt.IsConnected)
            {
                Task lost = Volatile.Read(ref _lost).Task;
                Task wake = _wake.Reader.WaitToReadAsync(stop).AsTask();
                if (await Task.WhenAny(lost, wake).ConfigureAwait(false) == wake)
                {
                    _wake.Reader.TryRead(out _);
                    await ClearAcknowledgedAsync(stop).ConfigureAwait(false);
                    continue;
                }
                _lastError = "the broker closed the connection";
                WatcherLog.Lost(_logger, _broker.Host, _broker.Port);
                Changed?.Invoke();
            }
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(10_000, 250 << Math.Min(failures, 6))), stop).ConfigureAwait(false);
            try
            {
                await ConnectAsync(stop).ConfigureAwait(false);
                failures = 0;
                Changed?.Invoke();
            }
            catch (Exception ex) when (ex is IOException or ArgumentException or MQTTnet.Exceptions.MqttCommunicationException or InvalidOperationException
                || ex is OperationCanceledException && !stop.IsCancellationRequested)
            {
                failures++;
                _lastError = ex.Message.Split('\n')[0];
            }
        }
    }

    private async Task ClearAcknowledgedAsync(CancellationToken stop)
    {
        foreach (string topic in View.CommandsToClear())
        {
            try
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
                deadline.CancelAfter(TimeSpan.FromSeconds(10));
                await CommandSender.ClearAsync(_mqtt, topic, deadline.Token).ConfigureAwait(false);
                View.Clearing(topic);
            }
            catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException || ex is OperationCanceledException && !stop.IsCancellationRequested)
            {
                return; // the next wake or connect tries again
            }
        }
    }

    private static partial class WatcherLog
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "fleet {Fleet} watched on {Host}:{Port}")]
        public static partial void Connected(ILogger logger, string host, int port, string fleet);

        [LoggerMessage(Level = LogLevel.Warning, Message = "lost the broker at {Host}:{Port}; reconnecting")]
        public static partial void Lost(ILogger logger, string host, int port);
    }
}
