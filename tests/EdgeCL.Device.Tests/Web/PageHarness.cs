using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using EdgeCL.Device.Agent;
using EdgeCL.Device.Config;
using EdgeCL.Device.Tests.Agent;
using EdgeCL.Web.Page;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Tests.Web;

/// <summary>A running agent (digits backbone, a queue source) with its device page on a free loopback port, and an HTTP client.</summary>
internal sealed class PageHarness : IAsyncDisposable
{
    private readonly StringWriter _webLog;

    private PageHarness(RunningAgent agent, DevicePage page, HttpClient client, string scheme, StringWriter webLog)
    {
        _webLog = webLog;
        Agent = agent;
        Page = page;
        Client = client;
        Origin = $"{scheme}://127.0.0.1:{page.EndPoint.Port}";
        client.BaseAddress = new Uri(Origin);
    }

    public RunningAgent Agent { get; }

    public DevicePage Page { get; }

    public HttpClient Client { get; }

    public string Origin { get; }

    public string LogText
    {
        get
        {
            lock (_webLog)
                return Agent.LogText + _webLog;
        }
    }

    public static async Task<PageHarness> StartAsync(string dir, WebSettings? web = null, HttpMessageHandler? handler = null, string scheme = "http")
    {
        DeviceConfig config = AgentTestData.Config("web-dev", Path.Combine(dir, "state"));
        RunningAgent agent = await RunningAgent.StartAsync(config, dir);
        var webLog = new StringWriter();
        var log = new LineLoggerFactory(webLog, LogLevel.Information, journald: false); // it locks the writer per line
        DevicePage page = DevicePage.Start(agent.Agent, web ?? new WebSettings { Listen = "127.0.0.1:0" }, p => Path.GetFullPath(p, dir), log.CreateLogger("edgecl.web"))!;
        return new PageHarness(agent, page, new HttpClient(handler ?? new HttpClientHandler()) { Timeout = TimeSpan.FromSeconds(30) }, scheme, webLog);
    }

    /// <summary>The page's state as JSON.</summary>
    public async Task<JsonElement> StateAsync()
    {
        using HttpResponseMessage response = await Client.GetAsync("/api/state");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>POSTs an action as the page does: same origin, with the page token.</summary>
    public async Task<(HttpStatusCode Status, string Body)> ActAsync(string path, byte[]? body = null, string? origin = null, bool token = true)
    {
        string? pageToken = token ? (await StateAsync()).GetProperty("token").GetString() : null;
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body ?? []) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        if ((origin ?? Origin) is { Length: > 0 } o)
            request.Headers.Add("Origin", o);
        if (pageToken is not null)
            request.Headers.Add("X-EdgeCL-Token", pageToken);
        using HttpResponseMessage response = await Client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        if (response.Content.Headers.ContentType?.MediaType == "application/json")
            text = JsonDocument.Parse(text).RootElement.GetProperty("message").GetString()!;
        return (response.StatusCode, text);
    }

    /// <summary>Teaches classes 0..n-1 three embeddings each through the queue source and waits until they are learned.</summary>
    public void TeachThreeClasses(Random random)
    {
        for (int c = 0; c < 3; c++)
            for (int k = 0; k < 3; k++)
                Agent.Source.Add(AgentTestData.Sample(c, random), label: $"class{c}");
        Agent.WaitForResults(9);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Page.DisposeAsync();
        await Agent.DisposeAsync();
    }
}
