using System.CommandLine;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Operator;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeCL.Cli.Commands;

/// <summary>How the <c>edgecl fleet</c> operator commands log in to a broker: the shared options (the connect is <see cref="EdgeCL.Sync.Operator.OperatorLogin"/>).</summary>
internal static class OperatorConnection
{
    /// <summary>The login options, shared by <c>fleet status</c>, <c>fleet command</c> and <c>fleet serve</c>.</summary>
    public sealed class Options
    {
        public Option<string?> User { get; } = new("--user") { Description = "User name (an operator account can read everything and send commands)." };

        public Option<string?> Password { get; } = new("--password") { Description = "Password of --user." };

        public Option<string?> Ca { get; } = new("--ca") { Description = "Fleet CA (PEM) for mqtts://." };

        public Option<string?> Cert { get; } = new("--cert") { Description = "Client certificate (PEM) for mqtts://." };

        public Option<string?> Key { get; } = new("--key") { Description = "Client key (PEM) for --cert." };

        /// <summary>The endpoint of <paramref name="broker"/> with these options applied.</summary>
        /// <exception cref="ArgumentException">An option is invalid.</exception>
        public FleetBrokerOptions Endpoint(ParseResult parse, string broker)
        {
            FleetBrokerOptions endpoint = FleetBrokerOptions.Parse(broker) with
            {
                UserName = parse.GetValue(User), Password = parse.GetValue(Password),
                CaCertificatePath = parse.GetValue(Ca), ClientCertificatePath = parse.GetValue(Cert), ClientKeyPath = parse.GetValue(Key),
            };
            endpoint.Validate();
            return endpoint;
        }
    }

    /// <summary>Connects <paramref name="client"/> (10 s for the connect and the subscription), subscribes to
    /// <paramref name="filters"/> and hands every message to <paramref name="take"/> (one at a time, its payload copied)
    /// until the broker has been quiet for <paramref name="quietMs"/>: MQTT has no end-of-retained marker. Messages after
    /// that are not handed on, so the caller may use what was read while the client stays connected for what it does next.</summary>
    public static async Task ReadRetainedAsync(IMqttClient client, FleetBrokerOptions endpoint, string clientId, IEnumerable<string> filters,
        Action<string, byte[]> take, int quietMs, CancellationToken token)
    {
        var gate = new Lock();
        var activity = new SemaphoreSlim(0);
        bool reading = true;
        client.ApplicationMessageReceivedAsync += e =>
        {
            byte[] payload = System.Buffers.BuffersExtensions.ToArray(e.ApplicationMessage.Payload);
            lock (gate)
                if (reading)
                    take(e.ApplicationMessage.Topic, payload);
            activity.Release();
            return Task.CompletedTask;
        };
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(token))
        {
            deadline.CancelAfter(TimeSpan.FromSeconds(10));
            await OperatorLogin.ConnectAsync(client, endpoint, clientId, deadline.Token, token).ConfigureAwait(false);
            var subscribe = new MqttClientSubscribeOptionsBuilder();
            foreach (string filter in filters)
                subscribe.WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce);
            await client.SubscribeAsync(subscribe.Build(), deadline.Token).ConfigureAwait(false);
        }
        while (await activity.WaitAsync(TimeSpan.FromMilliseconds(Math.Max(50, quietMs)), token).ConfigureAwait(false))
        {
        }
        lock (gate)
            reading = false;
    }
}
