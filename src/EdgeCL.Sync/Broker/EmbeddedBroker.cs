using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace EdgeCL.Sync.Broker;

/// <summary>An in-process MQTT broker (MQTTnet.Server) for one device or a small site: password login, the fleet ACL, persisted retained messages.</summary>
/// <remarks>
/// <para>Listens on loopback by default, with TLS when <see cref="EmbeddedBrokerOptions.TlsCertificatePath"/> is set. Every
/// client logs in with a user of <see cref="EmbeddedBrokerOptions.Users"/>, or (with <see cref="EmbeddedBrokerOptions.ClientCaPath"/>)
/// with a client certificate of the fleet CA whose CN is its user name; a device's client id must equal its user name. Publishes and subscriptions are checked against <see cref="FleetAcl"/> in
/// MQTTnet's interceptors: a refused publish is answered with PUBACK <c>NotAuthorized</c> and never reaches a subscriber.</para>
/// <para>Retained messages are loaded from <c>{DataDirectory}/retained.bin</c> at start and written back (atomically) at most
/// <see cref="EmbeddedBrokerOptions.PersistDelay"/> after each change and at stop. A crash can lose the last changes; devices
/// restore them by their rebirth on reconnect, since the broker is a cache and never the source of truth.</para>
/// <para>Sessions are not persisted (MQTTnet's default); EdgeCL clients use clean sessions only. Not thread-safe for
/// start/stop; must be disposed.</para>
/// </remarks>
public sealed partial class EmbeddedBroker : IAsyncDisposable
{
    private const string RetainedFileName = "retained.bin";
    private const string UserKey = "edgecl.user";

    private readonly EmbeddedBrokerOptions _options;
    private readonly ILogger _logger;
    private readonly RefusalLog _refusals;
    private readonly Dictionary<string, BrokerUser> _users;
    private readonly Lock _persistLock = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> _verified = new(StringComparer.Ordinal);
    private MqttServer? _server;
    private IReadOnlyList<MqttApplicationMessage>? _toPersist;
    private Task _persistTask = Task.CompletedTask;
    private readonly X509Certificate2? _serverCertificate;
    private readonly X509Certificate2Collection? _clientCa;
    private long _refusedPublishes, _refusedSubscriptions, _refusedConnections;

    /// <summary>Creates a stopped broker.</summary>
    /// <exception cref="ArgumentException">An option is invalid, or a TLS file is not a readable PEM certificate or key.</exception>
    public EmbeddedBroker(EmbeddedBrokerOptions options, ILogger<EmbeddedBroker>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = logger ?? (ILogger)NullLogger<EmbeddedBroker>.Instance;
        _refusals = new RefusalLog(_logger, TimeSpan.FromSeconds(10));
        _users = options.Users.ToDictionary(u => u.Name, StringComparer.Ordinal);
        if (options.TlsCertificatePath is { } certPath)
        {
            try
            {
                using X509Certificate2 pem = X509Certificate2.CreateFromPemFile(certPath, options.TlsKeyPath);
                // A PEM key is ephemeral; SslStream wants a certificate whose key it can use on every platform.
                _serverCertificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
                if (options.ClientCaPath is { } ca)
                {
                    _clientCa = [];
                    _clientCa.ImportFromPemFile(ca);
                    if (_clientCa.Count == 0)
                        throw new CryptographicException("no certificate in the file");
                }
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException(
                    $"Broker TLS files cannot be used ({OneLine(ex.Message)}): give the PEM certificate and its matching key (broker.crt, broker.key) and the PEM fleet CA from ops/mosquitto/make-certs.sh.", ex);
            }
        }
    }

    /// <summary>The port it listens on (the chosen one when <see cref="EmbeddedBrokerOptions.Port"/> is 0); 0 before start.</summary>
    public int Port { get; private set; }

    /// <summary>Whether it is running.</summary>
    public bool IsStarted => _server?.IsStarted == true;

    /// <summary>Publishes refused by the ACL or the size limit since start.</summary>
    public long RefusedPublishes => Interlocked.Read(ref _refusedPublishes);

    /// <summary>Subscriptions refused by the ACL since start.</summary>
    public long RefusedSubscriptions => Interlocked.Read(ref _refusedSubscriptions);

    /// <summary>Logins refused since start.</summary>
    public long RefusedConnections => Interlocked.Read(ref _refusedConnections);

    /// <summary>Loads the retained messages and starts listening.</summary>
    /// <exception cref="InvalidOperationException">Already started.</exception>
    /// <exception cref="IOException">The port is taken, or the retained-message file is unreadable or corrupt.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_server is not null)
            throw new InvalidOperationException("The broker is already started; stop it first.");
        cancellationToken.ThrowIfCancellationRequested();
        List<MqttApplicationMessage> retained;
        try
        {
            retained = _options.DataDirectory is null ? [] : RetainedMessageFile.Load(Path.Combine(_options.DataDirectory, RetainedFileName));
        }
        catch (InvalidDataException ex)
        {
            throw new IOException(ex.Message, ex);
        }

        // MQTTnet cannot report the port it bound, so port 0 is resolved here; a race with another process binding the
        // same port in between is retried.
        const int attempts = 5;
        for (int attempt = 1; ; attempt++)
        {
            int port = _options.Port == 0 ? FreePort(_options.BindAddress) : _options.Port;
            MqttServer server = CreateServer(port, retained);
            try
            {
                await server.StartAsync().ConfigureAwait(false);
                if (!await IsListeningAsync(port, cancellationToken).ConfigureAwait(false))
                    throw new SocketException((int)SocketError.AddressAlreadyInUse);
                _server = server;
                Port = port;
                break;
            }
            catch (SocketException ex)
            {
                await server.StopAsync(new MqttServerStopOptions()).ConfigureAwait(false);
                server.Dispose();
                if (_options.Port != 0 || attempt == attempts)
                    throw new IOException($"Broker cannot listen on {_options.BindAddress}:{port} ({ex.SocketErrorCode}); choose another --port or stop the process using it.", ex);
            }
        }
        Log.BrokerStarted(_logger, _options.BindAddress.ToString(), Port, retained.Count);
    }

    /// <summary>Stops listening, disconnects clients and writes the retained messages.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        MqttServer? server = _server;
        if (server is null)
            return;
        _server = null;
        IList<MqttApplicationMessage> retained = await server.GetRetainedMessagesAsync().ConfigureAwait(false);
        await server.StopAsync(new MqttServerStopOptions()).ConfigureAwait(false);
        server.Dispose();
        Task pending;
        lock (_persistLock)
        {
            _toPersist = null;
            pending = _persistTask;
        }
        await pending.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (_options.DataDirectory is not null)
            RetainedMessageFile.Save(Path.Combine(_options.DataDirectory, RetainedFileName), [.. retained]);
        Port = 0;
    }

    /// <summary>The retained messages it holds now.</summary>
    public async Task<IReadOnlyList<MqttApplicationMessage>> GetRetainedMessagesAsync()
    {
        MqttServer server = _server ?? throw new InvalidOperationException("The broker is not started.");
        return [.. await server.GetRetainedMessagesAsync().ConfigureAwait(false)];
    }

    /// <summary>Stops the broker if it runs.</summary>
    public async ValueTask DisposeAsync()
    {
        _refusals.Flush();
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            Log.PersistFailed(_logger, ex, _options.DataDirectory ?? "");
        }
        _serverCertificate?.Dispose();
    }

    private MqttServer CreateServer(int port, List<MqttApplicationMessage> retained)
    {
        var builder = new MqttServerOptionsBuilder()
            .WithPersistentSessions(false)
            .WithMaxPendingMessagesPerClient(100_000);
        if (_serverCertificate is null)
        {
            builder.WithDefaultEndpoint().WithDefaultEndpointPort(port);
        }
        else
        {
            builder.WithoutDefaultEndpoint().WithEncryptedEndpoint().WithEncryptedEndpointPort(port)
                .WithEncryptionCertificate(_serverCertificate).WithEncryptionSslProtocol(SslProtocols.Tls12 | SslProtocols.Tls13);
        }
        MqttServerOptions options = builder.Build();
        MqttServerTcpEndpointBaseOptions endpoint = _serverCertificate is null ? options.DefaultEndpointOptions : options.TlsEndpointOptions;
        bool v6 = _options.BindAddress.AddressFamily == AddressFamily.InterNetworkV6;
        endpoint.BoundInterNetworkAddress = v6 ? IPAddress.None : _options.BindAddress;
        // IPAddress.None switches a family off (MqttTcpServerAdapter.RegisterListeners); the default would also open [::].
        endpoint.BoundInterNetworkV6Address = v6 ? _options.BindAddress : IPAddress.None;
        endpoint.NoDelay = true;
        if (_clientCa is not null)
        {
            // The TLS handshake asks for a certificate (SslStream only requests one when "required"), but the validation
            // callback lets a client without one through: it must then log in with a password.
            options.TlsEndpointOptions.ClientCertificateRequired = true;
            options.TlsEndpointOptions.RemoteCertificateValidationCallback = ValidateClientCertificate;
        }

        MqttServer server = new MqttServerFactory().CreateMqttServer(options);
        server.ValidatingConnectionAsync += ValidateConnectionAsync;
        server.InterceptingPublishAsync += InterceptPublishAsync;
        server.InterceptingSubscriptionAsync += InterceptSubscriptionAsync;
        server.ClientSubscribedTopicAsync += SendRetainedAtSubscribeAsync;
        server.InterceptingInboundPacketAsync += InterceptInboundPacketAsync;
        server.InterceptingOutboundPacketAsync += InterceptOutboundPacketAsync;
        server.LoadingRetainedMessageAsync += e =>
        {
            e.LoadedRetainedMessages = retained;
            return Task.CompletedTask;
        };
        server.RetainedMessageChangedAsync += e =>
        {
            SchedulePersist(e.StoredRetainedMessages);
            return Task.CompletedTask;
        };
        server.RetainedMessagesClearedAsync += _ =>
        {
            SchedulePersist([]);
            return Task.CompletedTask;
        };
        return server;
    }

    private Task InterceptPublishAsync(InterceptingPublishEventArgs e)
    {
        // The broker's own injected messages carry no session user; the open test mode has none either.
        if (e.SessionItems?[UserKey] is not BrokerUser user)
            return Task.CompletedTask;
        string topic = e.ApplicationMessage.Topic;
        if (e.ApplicationMessage.Payload.Length > _options.MaxPayloadBytes)
        {
            RefuseOversized(e, user, topic);
            return Task.CompletedTask;
        }
        if (!FleetAcl.CanPublish(user.Name, user.IsOperator, topic))
            Refuse(e, "publish", user, topic, MqttPubAckReasonCode.NotAuthorized);
        else if (!user.IsOperator && DevicePayloadProblem(user, topic, e.ApplicationMessage.Payload) is { } problem)
            RefuseContent(e, user, topic, problem);
        return Task.CompletedTask;
    }

    private void Refuse(InterceptingPublishEventArgs e, string action, BrokerUser user, string topic, MqttPubAckReasonCode code)
    {
        e.ProcessPublish = false;
        e.Response.ReasonCode = code;
        Interlocked.Increment(ref _refusedPublishes);
        _refusals.Refused(action, e.ClientId, user.Name, topic);
    }

    private Task InterceptSubscriptionAsync(InterceptingSubscriptionEventArgs e)
    {
        var user = e.SessionItems?[UserKey] as BrokerUser;
        if (_options.OpenForTesting || user is not null && FleetAcl.CanSubscribe(user.Name, user.IsOperator, e.TopicFilter.Topic))
        {
            TakeOverRetained(e);
            return Task.CompletedTask;
        }
        e.ProcessSubscription = false;
        e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
        Interlocked.Increment(ref _refusedSubscriptions);
        _refusals.Refused("subscription", e.ClientId, user?.Name ?? "", e.TopicFilter.Topic);
        return Task.CompletedTask;
    }

    private void SchedulePersist(IReadOnlyList<MqttApplicationMessage> messages)
    {
        if (_options.DataDirectory is null)
            return;
        lock (_persistLock)
        {
            bool idle = _toPersist is null;
            _toPersist = messages;
            // One writer at a time; changes that arrive while it waits or writes are picked up by its next round.
            if (idle && _persistTask.IsCompleted)
                _persistTask = Task.Run(PersistLoopAsync);
        }
    }

    private async Task PersistLoopAsync()
    {
        string path = Path.Combine(_options.DataDirectory!, RetainedFileName);
        while (true)
        {
            await Task.Delay(_options.PersistDelay).ConfigureAwait(false);
            IReadOnlyList<MqttApplicationMessage>? batch;
            lock (_persistLock)
            {
                batch = _toPersist;
                _toPersist = null;
                if (batch is null)
                {
                    _persistTask = Task.CompletedTask;
                    return;
                }
            }
            try
            {
                RetainedMessageFile.Save(path, batch);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Log.PersistFailed(_logger, ex, path);
            }
        }
    }

    private static string OneLine(string text)
    {
        int nl = text.IndexOfAny(['\r', '\n']);
        return (nl < 0 ? text : text[..nl]).TrimEnd('.');
    }

    private static int FreePort(IPAddress address)
    {
        using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(address, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private async Task<bool> IsListeningAsync(int port, CancellationToken cancellationToken)
    {
        // MqttTcpServerListener logs a bind failure instead of throwing; a connect proves the listener is ours and up.
        using var socket = new Socket(_options.BindAddress.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        IPAddress target = _options.BindAddress.Equals(IPAddress.Any) ? IPAddress.Loopback
            : _options.BindAddress.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : _options.BindAddress;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await socket.ConnectAsync(new IPEndPoint(target, port), deadline.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}
