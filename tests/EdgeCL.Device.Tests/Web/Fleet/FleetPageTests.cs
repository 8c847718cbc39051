using EdgeCL.Core.Security;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using EdgeCL.Device.Config;
using EdgeCL.Device.Tests.Agent;
using EdgeCL.Web.Fleet;

namespace EdgeCL.Device.Tests.Web.Fleet;

/// <summary>The fleet page over HTTP: two agents on an embedded broker, commands pending until acknowledged, and its refusals.</summary>
public sealed class FleetPageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-fleetpage-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static JsonElement? Device(JsonElement state, string id) =>
        state.GetProperty("devices").EnumerateArray().Where(d => d.GetProperty("device").GetString() == id).Select(d => (JsonElement?)d).FirstOrDefault();

    private static bool Online(JsonElement state, string id) =>
        Device(state, id) is { } d && d.TryGetProperty("online", out JsonElement online) && online.ValueKind == JsonValueKind.True;

    [Fact]
    public async Task Lists_both_devices_and_the_fleets_classes_and_a_command_to_an_offline_device_is_pending_until_it_acknowledges()
    {
        await using FleetHarness h = await FleetHarness.StartAsync(_dir);
        var random = new Random(3);
        for (int k = 0; k < 3; k++)
            h.A.Source.Add(AgentTestData.Sample(0, random), label: "hello");
        h.A.WaitForResults(3);
        JsonElement state = await h.WaitForStateAsync(s => Online(s, "agent-a") && Online(s, "agent-b")
            && s.GetProperty("classes").EnumerateArray().Any(c => c.GetProperty("label").GetString() == "hello" && c.GetProperty("count").GetInt64() == 3));
        JsonElement hello = state.GetProperty("classes").EnumerateArray().Single(c => c.GetProperty("label").GetString() == "hello");
        Assert.Equal("agent-a", hello.GetProperty("devices")[0].GetProperty("device").GetString());
        JsonElement a = Device(state, "agent-a")!.Value;
        Assert.Equal(h.A.Agent.Backbone.Space.Id, a.GetProperty("space").GetString());
        Assert.True(a.GetProperty("last_seen_ms").GetInt64() > DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds());

        // agent-b goes offline; a reset sent now waits, retained, and is pending.
        await h.StopBAsync();
        await h.WaitForStateAsync(s => !Online(s, "agent-b"));
        var (status, body) = await h.CommandAsync("device=agent-b&command=reset_adaptation");
        Assert.True(status == HttpStatusCode.Accepted, body);
        Assert.Contains("pending until agent-b acknowledges it", body, StringComparison.Ordinal);
        JsonElement command = (await h.StateAsync()).GetProperty("commands")[0];
        Assert.Equal(("agent-b", "reset_adaptation", "pending", true),
            (command.GetProperty("device").GetString(), command.GetProperty("command").GetString(), command.GetProperty("state").GetString(), command.GetProperty("retained").GetBoolean()));
        Assert.Contains("fleet command reset_adaptation label=- to agent-b", h.WebLogText, StringComparison.Ordinal);

        // Back online: it acts once, acknowledges, and the page clears the retained copy.
        await h.StartBAsync();
        state = await h.WaitForStateAsync(s => s.GetProperty("commands")[0] is var c && c.GetProperty("state").GetString() == "done" && !c.GetProperty("retained").GetBoolean());
        Assert.Equal(1, h.B!.Agent.Health().AdaptationResets);
        Assert.Contains("adaptation reset by=command", h.B.LogText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("device=nobody&command=reset_adaptation", 404, "no device 'nobody'")]
    [InlineData("device=a%2Fb&command=reset_adaptation", 400, "is not a device id")]
    [InlineData("device=agent-b&command=explode", 400, "unknown command 'explode'")]
    [InlineData("device=agent-b&command=forget_class", 400, "needs a \"label\"")]
    [InlineData("device=agent-b&command=forget_class&label=..%2Fetc", 400, "path character")]
    public async Task Bad_input_is_one_line_and_a_4xx_and_sends_nothing(string query, int expected, string message)
    {
        await using FleetHarness h = await FleetHarness.StartAsync(_dir);
        await h.WaitForStateAsync(s => Online(s, "agent-b"));
        var (status, body) = await h.CommandAsync(query);
        Assert.Equal(expected, (int)status);
        Assert.Contains(message, body, StringComparison.Ordinal);
        Assert.Single(body.TrimEnd().Split('\n'));
        Assert.Equal(0, (await h.StateAsync()).GetProperty("commands").GetArrayLength());
        Assert.Contains($"status={expected}", h.WebLogText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_forged_command_from_the_page_origin_or_another_site_is_refused()
    {
        await using FleetHarness h = await FleetHarness.StartAsync(_dir);
        await h.WaitForStateAsync(s => Online(s, "agent-b"));
        // Same origin but not the page's token (a script that never read the page, or a token from an earlier run).
        var (status, body) = await h.CommandAsync("device=agent-b&command=reset_adaptation", token: new string('0', 48));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("missing or stale page token", body, StringComparison.Ordinal);
        (status, body) = await h.CommandAsync("device=agent-b&command=reset_adaptation", origin: "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("cross-origin request refused", body, StringComparison.Ordinal);
        Assert.Equal(0, (await h.StateAsync()).GetProperty("commands").GetArrayLength());
        Assert.Equal(0, h.B!.Agent.Health().AdaptationResets);
    }

    [Fact]
    public async Task Without_an_operator_key_the_page_only_shows()
    {
        await using FleetHarness h = await FleetHarness.StartAsync(_dir, operatorKey: false);
        await h.WaitForStateAsync(s => Online(s, "agent-b"));
        var (status, body) = await h.CommandAsync("device=agent-b&command=reset_adaptation");
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("without --operator-key", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_tls_and_users_a_wrong_password_is_refused_and_a_read_user_cannot_send()
    {
        (string cert, string key) = PageSecurityTests.SelfSigned(_dir);
        var web = new WebSettings
        {
            Listen = "127.0.0.1:0", TlsCert = cert, TlsKey = key,
            Users = [new WebUserSettings { Name = "ops", Role = "admin", PasswordHash = PasswordHash.Hash("ops-secret", 10_000) },
                     new WebUserSettings { Name = "viewer", Role = "read", PasswordHash = PasswordHash.Hash("viewer-secret", 10_000) }],
        };
        var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        await using FleetHarness h = await FleetHarness.StartAsync(_dir, web, handler: handler, scheme: "https");
        Assert.Equal(HttpStatusCode.Unauthorized, (await h.Client.GetAsync("/api/fleet")).StatusCode);
        Basic(h, "ops", "wrong-password");
        using (HttpResponseMessage wrong = await h.Client.GetAsync("/api/fleet"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.Equal("wrong user name or password", (await wrong.Content.ReadAsStringAsync()).TrimEnd());
        }
        Basic(h, "viewer", "viewer-secret");
        await h.WaitForStateAsync(s => Online(s, "agent-b"));
        var (status, body) = await h.CommandAsync("device=agent-b&command=reset_adaptation");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("may only look", body, StringComparison.Ordinal);
        Basic(h, "ops", "ops-secret");
        Assert.Equal(HttpStatusCode.Accepted, (await h.CommandAsync("device=agent-b&command=reset_adaptation")).Status);
    }

    [Fact]
    public async Task A_network_address_without_tls_and_users_is_refused_in_one_line()
    {
        await using var watcher = new EdgeCL.Sync.Operator.FleetWatcher(EdgeCL.Sync.Client.FleetBrokerOptions.Parse("mqtt://127.0.0.1:1"), new EdgeCL.Sync.Operator.FleetView("f"), "x");
        var ex = Assert.Throws<InvalidOperationException>(() => FleetPage.Start(watcher, new FleetPageOptions { Web = new WebSettings { Listen = "0.0.0.0:0" }, BrokerName = "x" }, p => p,
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance));
        Assert.Contains("is not a loopback address", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    private static void Basic(FleetHarness h, string user, string password) =>
        h.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
}
