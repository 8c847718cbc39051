using System.Security.Cryptography.X509Certificates;
using EdgeCL.Sync.Client;
using MQTTnet;

namespace EdgeCL.Sync.Operator;

/// <summary>How operator tools (<c>edgecl fleet status|command|serve</c>) log in to a broker, with one-line errors.</summary>
public static class OperatorLogin
{
    /// <summary>Connects <paramref name="client"/> (MQTT 5, clean start).</summary>
    /// <exception cref="ArgumentException">The broker refused the login.</exception>
    /// <exception cref="IOException">The broker cannot be reached.</exception>
    public static async Task ConnectAsync(IMqttClient client, FleetBrokerOptions endpoint, string clientId, CancellationToken deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(endpoint);
        // MQTT 5: a retained command's message expiry exists only there.
        var builder = new MqttClientOptionsBuilder().WithTcpServer(endpoint.Host, endpoint.Port).WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
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
