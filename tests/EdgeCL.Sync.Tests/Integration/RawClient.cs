using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using EdgeCL.Sync.Client;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeCL.Sync.Tests.Integration;

/// <summary>A bare MQTT client for playing attacker, replayer or observer.</summary>
public sealed class RawClient : IAsyncDisposable
{
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private readonly ConcurrentQueue<(string Topic, byte[] Payload)> _received = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<byte[]> Done)> _waiters = [];

    private RawClient()
    {
        _client.ApplicationMessageReceivedAsync += e =>
        {
            string topic = e.ApplicationMessage.Topic;
            byte[] payload = e.ApplicationMessage.Payload.ToArray();
            _received.Enqueue((topic, payload));
            lock (_waiters)
                foreach (var (match, done) in _waiters)
                    if (match(topic))
                        done.TrySetResult(payload);
            return Task.CompletedTask;
        };
    }

    public IReadOnlyCollection<(string Topic, byte[] Payload)> Received => _received;

    public static async Task<RawClient> ConnectAsync(FleetBrokerOptions broker, string clientId)
    {
        var raw = new RawClient();
        var builder = new MqttClientOptionsBuilder().WithTcpServer(broker.Host, broker.Port).WithClientId(clientId)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithCleanStart(true).WithTimeout(TimeSpan.FromSeconds(5));
        if (broker.UserName is not null)
            builder.WithCredentials(broker.UserName, broker.Password);
        if (broker.IsTls)
        {
            var ca = new X509Certificate2Collection();
            ca.ImportFromPemFile(broker.CaCertificatePath!);
            var cert = X509Certificate2.CreateFromPemFile(broker.ClientCertificatePath!, broker.ClientKeyPath);
            builder.WithTlsOptions(t => t.UseTls(true).WithClientCertificates([cert]).WithTrustChain(ca)
                .WithCertificateValidationHandler(_ => true));
        }
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        MqttClientConnectResult result = await raw._client.ConnectAsync(builder.Build(), deadline.Token);
        Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);
        return raw;
    }

    public async Task<MqttClientSubscribeResultCode> SubscribeAsync(string filter)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var result = await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce).Build(), deadline.Token);
        return result.Items.Single().ResultCode;
    }

    public async Task<MqttClientPublishResult> PublishAsync(string topic, byte[] payload, bool retain = true)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        return await _client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag(retain).Build(), deadline.Token);
    }

    /// <summary>Completes with the payload of the first message (already received or future) whose topic matches.</summary>
    public Task<byte[]> WaitForAsync(Func<string, bool> match, TimeSpan? timeout = null)
    {
        var done = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            _waiters.Add((match, done));
            foreach (var (topic, payload) in _received)
                if (match(topic))
                    done.TrySetResult(payload);
        }
        return done.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try { await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), deadline.Token); } catch (Exception) { }
        }
        _client.Dispose();
    }
}
