using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using EdgeCL.Core.Fleet;
using EdgeCL.Device.Agent;
using EdgeCL.Device.Config;
using EdgeCL.Device.Tests.Agent;
using EdgeCL.Sync.Broker;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Operator;
using EdgeCL.Web.Fleet;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Tests.Web.Fleet;

/// <summary>Two agents on an embedded broker (agent-a runs it, agent-b connects to it), and the fleet page over an operator
/// connection on a free loopback port, with an HTTP client.</summary>
internal sealed class FleetHarness : IAsyncDisposable
{
    private readonly string _dir;
    private readonly DeviceConfig _configB;
    private readonly StringWriter _webLog;

    private FleetHarness(string dir, DeviceConfig configB, RunningAgent a, RunningAgent b, FleetWatcher watcher, FleetPage page, EntrySigner key, HttpClient client, string scheme, StringWriter webLog)
    {
        _dir = dir;
        _configB = configB;
        _webLog = webLog;
        A = a;
        B = b;
        Watcher = watcher;
        Page = page;
        OperatorKey = key;
        Client = client;
        Origin = $"{scheme}://127.0.0.1:{page.EndPoint.Port}";
        client.BaseAddress = new Uri(Origin);
    }

    public RunningAgent A { get; }

    public RunningAgent? B { get; private set; }

    public FleetWatcher Watcher { get; }

    public FleetPage Page { get; }

    public EntrySigner OperatorKey { get; }

    public HttpClient Client { get; }

    public string Origin { get; }

    public string WebLogText
    {
        get
        {
            lock (_webLog)
                return _webLog.ToString();
        }
    }

    public static async Task<FleetHarness> StartAsync(string dir, WebSettings? web = null, bool operatorKey = true, HttpMessageHandler? handler = null, string scheme = "http")
    {
        int port = AgentTestData.FreePort();
        (Dictionary<string, string> keys, string trust) = AgentTestData.Keys(dir, "agent-a", "agent-b");
        var key = EntrySigner.Create("ops");
        Directory.CreateDirectory(Path.Combine(trust, "operators"));
        File.WriteAllText(Path.Combine(trust, "operators", "ops.pem"), key.ExportPublicKeyPem());
        string users = Path.Combine(dir, "users");
        BrokerUser.WriteToFile(users, "agent-a", "pa", isOperator: false);
        BrokerUser.WriteToFile(users, "agent-b", "pb", isOperator: false);
        BrokerUser.WriteToFile(users, "ops", "po", isOperator: true);
        File.WriteAllText(Path.Combine(dir, "pa"), "pa\n");
        File.WriteAllText(Path.Combine(dir, "pb"), "pb\n");
        DeviceConfig configA = AgentTestData.Config("agent-a", Path.Combine(dir, "a"), new SyncSettings
        {
            Broker = "embedded", EmbeddedPort = port, EmbeddedUsersFile = users, PasswordFile = "pa", SigningKey = keys["agent-a"], TrustDir = trust,
        });
        DeviceConfig configB = AgentTestData.Config("agent-b", Path.Combine(dir, "b"), new SyncSettings
        {
            Broker = $"mqtt://127.0.0.1:{port}", User = "agent-b", PasswordFile = "pb", SigningKey = keys["agent-b"], TrustDir = trust,
        });
        RunningAgent a = await RunningAgent.StartAsync(configA, dir);
        RunningAgent b = await RunningAgent.StartAsync(configB, dir);
        var webLog = new StringWriter();
        var log = new LineLoggerFactory(webLog, LogLevel.Information, journald: false);
        var watcher = new FleetWatcher(FleetBrokerOptions.Parse($"mqtt://127.0.0.1:{port}") with { UserName = "ops", Password = "po" },
            new FleetView("test"), "fleet-page", log.CreateLogger("edgecl.fleet"));
        await watcher.StartAsync(CancellationToken.None);
        FleetPage page = FleetPage.Start(watcher, new FleetPageOptions
        {
            Web = web ?? new WebSettings { Listen = "127.0.0.1:0" }, BrokerName = $"127.0.0.1:{port}", OperatorKey = operatorKey ? key : null,
            CommandLifetime = TimeSpan.FromMinutes(5),
        }, p => Path.GetFullPath(p, dir), log.CreateLogger("edgecl.web"))!;
        return new FleetHarness(dir, configB, a, b, watcher, page, key, new HttpClient(handler ?? new HttpClientHandler()) { Timeout = TimeSpan.FromSeconds(30) }, scheme, webLog);
    }

    /// <summary>Stops agent-b (a clean goodbye: its retained status says offline).</summary>
    public async Task StopBAsync()
    {
        await B!.DisposeAsync();
        B = null;
    }

    /// <summary>Starts agent-b again over its state folder.</summary>
    public async Task StartBAsync() => B = await RunningAgent.StartAsync(_configB, _dir);

    /// <summary>The page's state as JSON.</summary>
    public async Task<JsonElement> StateAsync()
    {
        using HttpResponseMessage response = await Client.GetAsync("/api/fleet");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>Polls the state until <paramref name="condition"/> holds.</summary>
    public async Task<JsonElement> WaitForStateAsync(Func<JsonElement, bool> condition, double seconds = 15)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            JsonElement state = await StateAsync();
            if (condition(state))
                return state;
            Assert.True(DateTime.UtcNow < deadline, $"fleet page state not reached in {seconds} s: {state}");
            await Task.Delay(50);
        }
    }

    /// <summary>POSTs a command as the page does: same origin, with the page token (or the given ones).</summary>
    public async Task<(HttpStatusCode Status, string Body)> CommandAsync(string query, string? origin = null, string? token = null)
    {
        token ??= (await StateAsync()).TryGetProperty("token", out JsonElement t) ? t.GetString() : null;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/command?" + query) { Content = new ByteArrayContent([]) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        if ((origin ?? Origin) is { Length: > 0 } o)
            request.Headers.Add("Origin", o);
        if (token is { Length: > 0 })
            request.Headers.Add("X-EdgeCL-Token", token);
        using HttpResponseMessage response = await Client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        if (response.Content.Headers.ContentType?.MediaType == "application/json")
            text = JsonDocument.Parse(text).RootElement.GetProperty("message").GetString()!;
        return (response.StatusCode, text);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Page.DisposeAsync();
        await Watcher.DisposeAsync();
        if (B is not null)
            await B.DisposeAsync();
        await A.DisposeAsync();
        OperatorKey.Dispose();
    }
}
