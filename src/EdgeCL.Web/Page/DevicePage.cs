using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using EdgeCL.Core.Fleet;
using EdgeCL.Device.Agent;
using EdgeCL.Device.Config;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Web.Http;
using EdgeCL.Web.Security;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Web.Page;

/// <summary>
/// The device page served by <c>edgecl run</c>: live recognitions (Server-Sent Events), classes with own and fleet counts,
/// adaptation and health, and the owner's actions (teach, upload examples, forget, false alarm, reset adaptation), each
/// through the agent's own entry points, the ones the GPIO button and the MQTT commands use, with trigger <c>web</c>.
/// </summary>
public sealed partial class DevicePage : IAsyncDisposable
{
    private static readonly TimeSpan StateInterval = TimeSpan.FromSeconds(2);
    private readonly DeviceAgent _agent;
    private readonly WebSettings _web;
    private readonly ILogger _logger;
    private readonly SmallHttpServer _server;
    private readonly WebAccess _access;
    private readonly EventHub _events;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _stateTicker;
    private readonly string _uploads;

    private DevicePage(DeviceAgent agent, WebSettings web, IPEndPoint endpoint, X509Certificate2? certificate, ILogger logger)
    {
        _agent = agent;
        _web = web;
        _logger = logger;
        _events = new EventHub(logger);
        _uploads = Path.Combine(Path.GetDirectoryName(agent.StatusPath)!, "uploads");
        _server = new SmallHttpServer(endpoint, certificate, web.MaxUploadBytes, HandleAsync, logger);
        _access = new WebAccess(web, _server.EndPoint.Port);
        _agent.SampleHandled += OnSampleHandled;
        _server.Start();
        _stateTicker = Task.Run(TickAsync);
        WebLog.Listening(logger, "device page", certificate is null ? "http" : "https", WebListen.Format(_server.EndPoint), web.Users.Count);
    }

    /// <summary>The address the page listens on (the real port when the config said 0).</summary>
    public IPEndPoint EndPoint => _server.EndPoint;

    /// <summary>Starts the page for <paramref name="agent"/>; null when <c>web.listen</c> is <c>off</c>.</summary>
    /// <exception cref="InvalidOperationException">The address cannot be bound or the TLS files cannot be read; one line.</exception>
    public static DevicePage? Start(DeviceAgent agent, WebSettings web, Func<string, string> resolve, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(web);
        return WebListen.Open(web, resolve, "device page", (endpoint, certificate) => new DevicePage(agent, web, endpoint, certificate, logger));
    }

    /// <summary>Stops serving; open pages see the stream end.</summary>
    public async ValueTask DisposeAsync()
    {
        _agent.SampleHandled -= OnSampleHandled;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _server.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _stateTicker.ConfigureAwait(false);
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
                "/" or "/index.html" => EmbeddedAsset.Get("index.html"),
                "/app.js" => EmbeddedAsset.Get("app.js"),
                "/app.css" => EmbeddedAsset.Get("app.css"),
                "/api/state" => HttpResponse.Json(JsonSerializer.SerializeToUtf8Bytes(State(user, admin), PageJsonContext.Default.PageState)),
                "/api/events" => await _events.ServeAsync(stream, request.Remote, StateEvent(user, admin), stop).ConfigureAwait(false),
                _ => HttpResponse.Text(404, $"no page at {request.Path}"),
            };
        }
        if (request.Method != "POST")
            return Refuse(request, HttpResponse.Text(405, $"{request.Method} is not used here"));
        if (_access.CheckAction(request, admin) is { } forbidden)
            return Refuse(request, forbidden);
        HttpResponse response = await ActAsync(request, user).ConfigureAwait(false);
        if (response.Status >= 400)
            Refuse(request, response);
        else
            PublishState();
        return response;
    }

    private HttpResponse Refuse(HttpRequest request, HttpResponse response)
    {
        WebLog.Refused(_logger, request.Method, request.Path, request.Remote.ToString(), response.Status, Encoding.UTF8.GetString(response.Body.Span).TrimEnd());
        return response;
    }

    private PageState State(string user, bool admin)
    {
        DeviceConfig config = _agent.Config;
        string own = _agent.Device.DeviceId;
        var classes = new Dictionary<string, (long Own, long Fleet, int Devices)>(StringComparer.Ordinal);
        foreach (FleetEntry entry in _agent.Device.FleetSnapshot().Entries)
        {
            if (entry.IsTombstone)
                continue;
            var c = classes.GetValueOrDefault(entry.Label);
            classes[entry.Label] = (c.Own + (entry.DeviceId == own ? entry.Count : 0), c.Fleet + entry.Count, c.Devices + 1);
        }
        return new PageState
        {
            Device = own,
            Fleet = config.Fleet,
            Backbone = _agent.Backbone.Name,
            Kind = _agent.Backbone is SpeechBackbone ? "audio" : "image",
            Space = _agent.Backbone.Space.Id,
            Threshold = config.Recognition.Threshold,
            MinConfidence = config.Recognition.MinConfidence,
            Adapt = config.Learner.Adapt,
            TeachLabel = _agent.TeachingLabel,
            TeachShots = config.Teach.Shots,
            Classes = classes.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new PageClass(kv.Key, kv.Value.Own, kv.Value.Fleet, kv.Value.Devices)).ToList(),
            Health = _agent.Health(),
            User = user,
            Admin = admin,
            Token = admin ? _access.Token : null,
            MaxUploadBytes = _web.MaxUploadBytes,
        };
    }

    private byte[] StateEvent(string user, bool admin) =>
        Sse("state", JsonSerializer.SerializeToUtf8Bytes(State(user, admin) with { Token = null }, PageJsonContext.Default.PageState));

    private void PublishState()
    {
        if (_events.Count > 0)
            _events.Publish(StateEvent("", admin: false));
    }

    private async Task TickAsync()
    {
        using var timer = new PeriodicTimer(StateInterval);
        while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            PublishState();
    }

    internal static byte[] Sse(string name, ReadOnlySpan<byte> json)
    {
        byte[] message = new byte[7 + name.Length + 7 + json.Length + 2];
        int at = Encoding.ASCII.GetBytes("event: " + name + "\ndata: ", message);
        json.CopyTo(message.AsSpan(at));
        "\n\n"u8.CopyTo(message.AsSpan(at + json.Length));
        return message;
    }
}
