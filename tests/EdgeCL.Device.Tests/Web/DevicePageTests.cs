using System.Net;
using System.Text;
using System.Text.Json;
using EdgeCL.Device.Tests.Agent;

namespace EdgeCL.Device.Tests.Web;

/// <summary>The device page over HTTP: assets, state, the live stream and every action, each through the agent's own path.</summary>
public sealed class DevicePageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-page-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Serves_the_embedded_page_and_the_state()
    {
        await using PageHarness h = await PageHarness.StartAsync(_dir);
        using HttpResponseMessage page = await h.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        string html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<script src=\"/app.js\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", "", StringComparison.Ordinal), StringComparison.Ordinal); // nothing from elsewhere
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        foreach (string asset in new[] { "/app.js", "/app.css" })
            Assert.Equal(HttpStatusCode.OK, (await h.Client.GetAsync(asset)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await h.Client.GetAsync("/nothing")).StatusCode);
        JsonElement state = await h.StateAsync();
        Assert.Equal("web-dev", state.GetProperty("device").GetString());
        Assert.Equal("digits", state.GetProperty("backbone").GetString());
        Assert.Equal(h.Agent.Agent.Backbone.Space.Id, state.GetProperty("space").GetString());
        Assert.True(state.GetProperty("admin").GetBoolean());
        Assert.Equal(48, state.GetProperty("token").GetString()!.Length);
        Assert.Equal("ncm-test-centred", state.GetProperty("health").GetProperty("learner").GetString());
    }

    [Fact]
    public async Task A_recognition_appears_on_the_event_stream()
    {
        await using PageHarness h = await PageHarness.StartAsync(_dir);
        h.TeachThreeClasses(new Random(1));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/events");
        using HttpResponseMessage response = await h.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("retry: 2000", await reader.ReadLineAsync());
        await reader.ReadLineAsync();
        Assert.Equal("event: state", await reader.ReadLineAsync());
        JsonElement first = JsonDocument.Parse((await reader.ReadLineAsync())![6..]).RootElement;
        Assert.Equal(3, first.GetProperty("classes").GetArrayLength());
        Assert.Equal(3, first.GetProperty("classes")[1].GetProperty("own").GetInt64());

        h.Agent.Source.Add(AgentTestData.Sample(1, new Random(5)), origin: "query-1");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        JsonElement sample = default;
        while (sample.ValueKind == JsonValueKind.Undefined)
        {
            string? line = await reader.ReadLineAsync(timeout.Token);
            if (line != "event: sample")
                continue;
            JsonElement seen = JsonDocument.Parse((await reader.ReadLineAsync(timeout.Token))![6..]).RootElement.Clone();
            // The teaching samples can still be on their way through the pipeline (outcome "learned"): wait for the query.
            if (seen.TryGetProperty("origin", out JsonElement origin) && origin.GetString() == "query-1")
                sample = seen;
        }
        Assert.Equal("recognised", sample.GetProperty("outcome").GetString());
        Assert.Equal("class1", sample.GetProperty("label").GetString());
        Assert.Equal("query-1", sample.GetProperty("origin").GetString());
        Assert.True(sample.GetProperty("score").GetDouble() > sample.GetProperty("threshold").GetDouble());
        Assert.True(sample.GetProperty("latency_ms").GetDouble() >= 0);
    }

    [Fact]
    public async Task Teach_runs_once_at_a_time_through_the_agents_teaching_session()
    {
        await using PageHarness h = await PageHarness.StartAsync(_dir);
        var (status, body) = await h.ActAsync("/api/teach?label=door-bell");
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Contains("teaching 'door-bell'", body, StringComparison.Ordinal);
        await WaitUntil(() => h.Agent.Agent.TeachingLabel == "door-bell");
        Assert.Equal(HttpStatusCode.Conflict, (await h.ActAsync("/api/teach?label=other")).Status);
        var random = new Random(3);
        h.Agent.Source.Add(AgentTestData.Sample(4, random));
        h.Agent.Source.Add(AgentTestData.Sample(4, random));
        h.Agent.WaitForResults(2);
        Assert.Contains("teaching label=door-bell shots=2 timeout_s=30 by=web", h.LogText, StringComparison.Ordinal);
        Assert.Contains("web action teach label=door-bell user=local", h.LogText, StringComparison.Ordinal);
        JsonElement cls = (await h.StateAsync()).GetProperty("classes")[0];
        Assert.Equal("door-bell", cls.GetProperty("label").GetString());
        Assert.Equal(2, cls.GetProperty("own").GetInt64());
    }

    [Fact]
    public async Task Uploaded_images_are_learned_and_a_class_can_be_forgotten()
    {
        await using PageHarness h = await PageHarness.StartAsync(_dir);
        byte[] seven = File.ReadAllBytes(Path.Combine(AgentTestData.Models, "digits", "samples", "7_0000.pgm"));
        var (status, body) = await h.ActAsync("/api/upload?label=seven&name=7_0000.pgm", seven);
        Assert.True(status == HttpStatusCode.OK, body);
        Assert.Contains("learned '7_0000.pgm' as 'seven'", body, StringComparison.Ordinal);
        Assert.Equal(1, (await h.StateAsync()).GetProperty("classes")[0].GetProperty("own").GetInt64());
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir, "state", "uploads"))); // the staged file is gone

        (status, body) = await h.ActAsync("/api/forget?label=seven");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, (await h.StateAsync()).GetProperty("classes").GetArrayLength());
        Assert.Contains("forget label=seven by=web forgotten=True", h.LogText, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await h.ActAsync("/api/forget?label=seven")).Status);
    }

    [Fact]
    public async Task False_alarm_and_reset_go_through_the_agents_corrections()
    {
        await using PageHarness h = await PageHarness.StartAsync(_dir);
        h.TeachThreeClasses(new Random(2));
        h.Agent.Source.Add(AgentTestData.Sample(0, new Random(9)), origin: "alarm");
        h.Agent.WaitForResults(10);
        Assert.Equal(HttpStatusCode.Accepted, (await h.ActAsync("/api/false-alarm")).Status);
        IReadOnlyList<Device.Agent.AgentResult> results = h.Agent.WaitForResults(11);
        Assert.Equal("_background:class0", results[^1].Label);
        Assert.Contains("false alarm (web): 'class0' at alarm is taught as '_background:class0'", h.LogText, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Accepted, (await h.ActAsync("/api/reset-adaptation")).Status);
        await WaitUntil(() => h.LogText.Contains("adaptation reset by=web", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/api/teach?label=a%2Fb", 400, "path character")]
    [InlineData("/api/teach?label=..", 400, "path character")]
    [InlineData("/api/upload?label=x%5Cy", 400, "path character")]
    [InlineData("/api/teach", 400, "label is missing")]
    [InlineData("/api/teach?label=%20padded", 400, "cannot be synced")]
    [InlineData("/api/forget?label=_unknown", 400, "reserved")]
    [InlineData("/api/upload?label=notes", 415, "neither a WAV recording nor")]
    [InlineData("/api/nothing", 404, "no action")]
    public async Task Bad_input_is_one_line_and_a_4xx_and_changes_nothing(string path, int status, string message)
    {
        await using PageHarness h = await PageHarness.StartAsync(_dir);
        var (code, body) = await h.ActAsync(path, Encoding.UTF8.GetBytes("just some text, not an example"));
        Assert.Equal(status, (int)code);
        Assert.Contains(message, body, StringComparison.OrdinalIgnoreCase);
        Assert.Single(body.TrimEnd().Split('\n'));
        Assert.Equal(0, (await h.StateAsync()).GetProperty("classes").GetArrayLength());
        Assert.Null(h.Agent.Agent.TeachingLabel);
        Assert.Contains($"status={status}", h.LogText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_upload_over_the_limit_or_of_the_wrong_kind_is_refused()
    {
        await using PageHarness h = await PageHarness.StartAsync(_dir, new Device.Config.WebSettings { Listen = "127.0.0.1:0", MaxUploadBytes = 4096 });
        byte[] big = new byte[5000];
        "P5\n"u8.CopyTo(big);
        var (status, body) = await h.ActAsync("/api/upload?label=big", big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("over the limit of 4096 bytes", body, StringComparison.Ordinal);
        byte[] wav = [.. "RIFF"u8, 0, 0, 0, 0, .. "WAVEfmt "u8, .. new byte[40]];
        (status, body) = await h.ActAsync("/api/upload?label=sound", wav);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Contains("takes images", body, StringComparison.Ordinal);
        byte[] brokenPng = [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3, 4];
        (status, body) = await h.ActAsync("/api/upload?label=broken", brokenPng);
        Assert.Equal(HttpStatusCode.UnprocessableContent, status);
        Assert.Equal(0, (await h.StateAsync()).GetProperty("classes").GetArrayLength());
    }

    internal static async Task WaitUntil(Func<bool> condition, double seconds = 10)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(20);
        }
    }
}
