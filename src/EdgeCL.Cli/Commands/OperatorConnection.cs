using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using EdgeCL.Sync.Client;
using MQTTnet;

namespace EdgeCL.Cli.Commands;

/// <summary>How the <c>edgecl fleet</c> operator commands log in to a broker: the shared options and the connect with one-line errors.</summary>
internal static class OperatorConnection
{
    /// <summary>The login options, shared by <c>fleet status</c> and <c>fleet command</c>.</summary>
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

    /// <summary>Connects <paramref name="client"/>; a refused login is an <see cref="ArgumentException"/>, an unreachable broker an <see cref="IOException"/>.</summary>
    public static async Task ConnectAsync(IMqttClient client, FleetBrokerOptions endpoint, string clientId, CancellationToken deadline, CancellationToken cancellationToken)
    {
        var builder = new MqttClientOptionsBuilder().WithTcpServer(endpoint.Host, endpoint.Port)
            .WithClientId(clientId).WithCleanStart(true).WithTimeout(TimeSpan.FromSeconds(10));
        if (endpoint.UserName is not null)
            builder.WithCredentials(endpoint.UserName, endpoint.Password ?? "");
        if (endpoint.IsTls)
        {
            var ca = new X509Certificate2Collection();
            if (endpoint.CaCertificatePath is not null)
                ca.ImportFromPemFile(endpoint.CaCertificatePath);
            builder.WithTlsOptions(t =>
            {
                t.UseTls(true);
                if (ca.Count > 0)
                    t.WithTrustChain(ca);
                if (endpoint.ClientCertificatePath is not null)
                    t.WithClientCertificates([X509Certificate2.CreateFromPemFile(endpoint.ClientCertificatePath, endpoint.ClientKeyPath)]);
            });
        }
        MqttClientConnectResult connected;
        try
        {
            connected = await client.ConnectAsync(builder.Build(), deadline).ConfigureAwait(false);
        }
        catch (MQTTnet.Adapter.MqttConnectingFailedException ex)
        {
            throw new ArgumentException($"The broker at {endpoint.Host}:{endpoint.Port} refused the login ({ex.Message.Split('\n')[0].TrimEnd('.')}); check --user/--password or the certificate.", ex);
        }
        catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or System.Security.Authentication.AuthenticationException
            or System.Net.Sockets.SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new IOException($"Cannot reach the broker at {endpoint.Host}:{endpoint.Port} ({ex.Message.Split('\n')[0]}); check --broker and that the broker runs.", ex);
        }
        if (connected.ResultCode != MqttClientConnectResultCode.Success)
            throw new ArgumentException($"The broker refused the login ({connected.ResultCode}); check --user/--password or the certificate.");
    }
}
