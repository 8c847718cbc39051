using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using EdgeCL.Core.Fleet;
using EdgeCL.Device.Config;
using EdgeCL.Sync.Operator;
using EdgeCL.Web.Http;
using EdgeCL.Web.Page;
using EdgeCL.Web.Security;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Web.Fleet;

/// <summary>
/// The fleet page served by <c>edgecl fleet serve</c> on the operator's machine: every device (online, last seen, version,
/// space, classes, drops, last error) and every class across the fleet from the broker's retained topics, live over
/// Server-Sent Events; commands signed with the operator key and sent retained through <see cref="FleetWatcher"/> (the path
/// of <c>edgecl fleet command --retain</c>), shown pending until the device acknowledges them. The device page's server,
/// access rules (loopback by default; TLS and users otherwise; roles; same-origin plus token) and embedded assets.
/// </summary>
public sealed partial class FleetPage : IAsyncDisposable
{
    private static readonly TimeSpan Coalesce = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(5);
    private readonly FleetWatcher _watcher;
    private readonly FleetPageOptions _options;
    private readonly ILogger _logger;
    private readonly SmallHttpServer _server;
    private readonly WebAccess _access;
    private readonly EventHub _events;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _ticker;
    private readonly string _broker;
    private int _dirty;

    private FleetPage(FleetWatcher watcher, FleetPageOptions options, IPEndPoint endpoint, X509Certificate2? certificate, ILogger logger)
    {
        _watcher = watcher;
        _options = options;
        _logger = logger;
        _broker = options.BrokerName;
        _events = new EventHub(logger);
        // Commands are a few hundred bytes; nothing is uploaded here.
        _server = new SmallHttpServer(endpoint, certificate, 64 * 1024, HandleAsync, logger);
        _access = new WebAccess(options.Web, _server.EndPoint.Port);
        _watcher.Changed += OnChanged;
        _server.Start();
        _ticker = Task.Run(TickAsync);
        WebLog.Listening(logger, "fleet page", certificate is null ? "http" : "https", WebListen.Format(_server.EndPoint), options.Web.Users.Count);
    }

    /// <summary>The address the page listens on (the real port when the settings said 0).</summary>
    public IPEndPoint EndPoint => _server.EndPoint;

    /// <summary>Starts the page over <paramref name="watcher"/>; null when the listen address is <c>off</c>.</summary>
    /// <exception cref="InvalidOperationException">A mistake in the web settings (a non-loopback address without TLS and users
    /// included), the address cannot be bound, or the TLS files cannot be read; one line.</exception>
    public static FleetPage? Start(FleetWatcher watcher, FleetPageOptions options, Func<string, string> resolve, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(watcher);
        ArgumentNullException.ThrowIfNull(options);
        return WebListen.Open(options.Web, resolve, "fleet page", (endpoint, certificate) => new FleetPage(watcher, options, endpoint, certificate, logger));
    }

    /// <summary>Stops serving; open pages see the stream end.</summary>
    public async ValueTask DisposeAsync()
    {
        _watcher.Changed -= OnChanged;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _server.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _ticker.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }

    private async Task<HttpResponse?> HandleAsync(HttpRequest request, Stream stream, CancellationToken stop)
    {
        (string user, bool admin, HttpResponse? refusal) = _access.Authenticate(request);
        if (refusal is not null)
            return Refuse(request, refusal);
        if (request.Method == "GET")
        {
            return request.Path switch
            {
                "/" or "/fleet.html" => EmbeddedAsset.Get("fleet.html"),
                "/fleet.js" => EmbeddedAsset.Get("fleet.js"),
                "/app.css" => EmbeddedAsset.Get("app.css"),
                "/api/fleet" => HttpResponse.Json(JsonSerializer.SerializeToUtf8Bytes(State(user, admin), FleetPageJsonContext.Default.FleetPageState)),
                "/api/events" => await _events.ServeAsync(stream, request.Remote, StateEvent(), stop).ConfigureAwait(false),
                _ => HttpResponse.Text(404, $"no page at {request.Path}"),
            };
        }
        if (request.Method != "POST")
            return Refuse(request, HttpResponse.Text(405, $"{request.Method} is not used here"));
        if (_access.CheckAction(request, admin) is { } forbidden)
            return Refuse(request, forbidden);
        HttpResponse response = request.Path == "/api/command"
            ? await SendCommandAsync(request, user, stop).ConfigureAwait(false)
            : HttpResponse.Text(404, $"no action at {request.Path}");
        return response.Status >= 400 ? Refuse(request, response) : response;
    }

    private HttpResponse Refuse(HttpRequest request, HttpResponse response)
    {
        WebLog.Refused(_logger, request.Method, request.Path, request.Remote.ToString(), response.Status, Encoding.UTF8.GetString(response.Body.Span).TrimEnd());
        return response;
    }

    private FleetPageState State(string user, bool admin)
    {
        FleetSnapshot snapshot = _watcher.View.Snapshot();
        return new FleetPageState
        {
            Fleet = snapshot.Fleet,
            Broker = _broker,
            Connected = _watcher.IsConnected,
            BrokerError = _watcher.LastError,
            Verified = snapshot.Verified,
            Operator = _options.OperatorKey?.DeviceId,
            CommandSeconds = (long)_options.CommandLifetime.TotalSeconds,
            NowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            Devices = snapshot.Devices,
            Classes = snapshot.Classes,
            Commands = snapshot.Commands,
            Drops = snapshot.Drops,
            User = user,
            Admin = admin,
            Token = admin ? _access.Token : null,
        };
    }

    private byte[] StateEvent() =>
        DevicePage.Sse("state", JsonSerializer.SerializeToUtf8Bytes(State("", admin: false), FleetPageJsonContext.Default.FleetPageState));

    private void OnChanged() => Volatile.Write(ref _dirty, 1);

    // Changes are coalesced (a reconnect replays every retained topic at once); a refresh every few seconds moves "last seen"
    // and expiries along.
    private async Task TickAsync()
    {
        using var timer = new PeriodicTimer(Coalesce);
        DateTime last = DateTime.UtcNow;
        while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
        {
            if (Interlocked.Exchange(ref _dirty, 0) == 0 && DateTime.UtcNow - last < Refresh)
                continue;
            last = DateTime.UtcNow;
            if (_events.Count > 0)
                _events.Publish(StateEvent());
        }
    }
}

/// <summary>How <c>edgecl fleet serve</c> runs its page.</summary>
public sealed record FleetPageOptions
{
    /// <summary>Listen address, TLS files and users: the device page's <c>web</c> settings and rules.</summary>
    public required WebSettings Web { get; init; }

    /// <summary>The broker as shown on the page, e.g. <c>127.0.0.1:1883</c>.</summary>
    public required string BrokerName { get; init; }

    /// <summary>The operator key commands are signed with; null: the page only shows (commands refused with 409).</summary>
    public EntrySigner? OperatorKey { get; init; }

    /// <summary>How long a command from the page stays valid (and retained) for a device that is offline.</summary>
    public TimeSpan CommandLifetime { get; init; } = TimeSpan.FromHours(1);
}
