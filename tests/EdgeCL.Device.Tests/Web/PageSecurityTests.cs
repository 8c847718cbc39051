using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EdgeCL.Core.Security;
using EdgeCL.Device.Agent;
using EdgeCL.Device.Config;
using EdgeCL.Tests.Shared;
using EdgeCL.Web.Page;
using EdgeCL.Web.Security;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeCL.Device.Tests.Web;

/// <summary>The page's refusals: cross-site requests, DNS rebinding, roles and credentials, non-loopback without TLS, slow clients.</summary>
public sealed class PageSecurityTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-pagesec-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Actions_need_the_same_origin_and_the_page_token()
    {
        await using PageHarness h = await PageHarness.StartAsync(_dir);
        var (status, body) = await h.ActAsync("/api/reset-adaptation", origin: "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("cross-origin request refused", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await h.ActAsync("/api/reset-adaptation", origin: "")).Status); // no Origin, no Referer
        (status, body) = await h.ActAsync("/api/reset-adaptation", token: false);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("page token", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await h.Client.PutAsync("/api/teach?label=x", new ByteArrayContent([]))).StatusCode);
        await Task.Delay(200);
        Assert.DoesNotContain("adaptation reset by=web", h.LogText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_foreign_host_name_is_refused_without_users()
    {
        // DNS rebinding: a site whose name now resolves to 127.0.0.1 would be "same origin" with itself.
        await using PageHarness h = await PageHarness.StartAsync(_dir);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/state");
        request.Headers.Host = "rebound.example:" + h.Page.EndPoint.Port;
        using HttpResponseMessage response = await h.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.MisdirectedRequest, response.StatusCode);
    }

    [Fact]
    public async Task Tls_with_users_gives_roles_and_refuses_wrong_credentials()
    {
        (string cert, string key) = SelfSigned(_dir);
        var web = new WebSettings
        {
            Listen = "127.0.0.1:0",
            TlsCert = cert,
            TlsKey = key,
            Users = [new WebUserSettings { Name = "owner", Role = "admin", PasswordHash = PasswordHash.Hash("owner-secret", 10_000) },
                     new WebUserSettings { Name = "guest", Role = "read", PasswordHash = PasswordHash.Hash("guest-secret", 10_000) }],
        };
        var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        await using PageHarness h = await PageHarness.StartAsync(_dir, web, handler, "https");
        Assert.Equal(HttpStatusCode.Unauthorized, (await h.Client.GetAsync("/api/state")).StatusCode);
        Basic(h, "owner", "wrong-password");
        using (HttpResponseMessage wrong = await h.Client.GetAsync("/api/state"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.Contains("wrong user name or password", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Basic(h, "guest", "guest-secret");
        Assert.False((await h.StateAsync()).GetProperty("admin").GetBoolean());
        Assert.False((await h.StateAsync()).TryGetProperty("token", out _));
        var (status, body) = await h.ActAsync("/api/reset-adaptation", token: false);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("may only look", body, StringComparison.Ordinal);
        Basic(h, "owner", "owner-secret");
        Assert.Equal(HttpStatusCode.Accepted, (await h.ActAsync("/api/reset-adaptation")).Status);
    }

    [Theory]
    [InlineData("0.0.0.0:8080", "is not a loopback address")]
    [InlineData("192.168.1.20:80", "is not a loopback address")]
    [InlineData("device.local:8080", "not an IP address")]
    [InlineData("127.0.0.1", "is not ADDR:PORT")]
    public void A_listen_address_that_is_unsafe_or_wrong_is_one_error_line(string listen, string message)
    {
        string[] errors = WebListen.Validate(new WebSettings { Listen = listen }, p => p).ToArray();
        Assert.Single(errors);
        Assert.Contains(message, errors[0], StringComparison.Ordinal);
        Assert.Empty(WebListen.Validate(new WebSettings { Listen = "127.0.0.1:8080" }, p => p));
        Assert.Empty(WebListen.Validate(new WebSettings { Listen = "off" }, p => p));
    }

    [Fact]
    public void A_clear_password_in_the_config_is_refused()
    {
        var web = new WebSettings { Listen = "[::1]:8080", Users = [new WebUserSettings { Name = "owner", Role = "admin", PasswordHash = "hunter22" }] };
        Assert.Contains(WebListen.Validate(web, p => p), e => e.Contains("is not a 'pbkdf2-sha256", StringComparison.Ordinal));
        Assert.True(PasswordHash.Verify("right-one", PasswordHash.Hash("right-one", 10_000)));
        Assert.False(PasswordHash.Verify("wrong-one", PasswordHash.Hash("right-one", 10_000)));
    }

    [Fact]
    public async Task A_stalled_client_is_dropped_and_publishing_never_waits()
    {
        var hub = new EventHub(NullLogger.Instance, TimeSpan.FromMilliseconds(300));
        using var stalled = new StalledStream();
        Task<EdgeCL.Web.Http.HttpResponse?> serving = hub.ServeAsync(stalled, new IPEndPoint(IPAddress.Loopback, 1), "event: state\ndata: {}\n\n"u8.ToArray(), CancellationToken.None);
        await DevicePageTests.WaitUntil(() => hub.Count == 1);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 100_000; i++)
            hub.Publish("event: sample\ndata: {}\n\n"u8.ToArray());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"publishing waited for the stalled client ({clock.Elapsed})");
        Assert.Null(await serving.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, hub.Count);
    }

    [Fact]
    public async Task With_no_page_open_a_sample_costs_no_allocation()
    {
        await using PageHarness h = await PageHarness.StartAsync(_dir);
        var result = new AgentResult(AgentOutcome.Recognised, "queue", "x", "class0", null, 1.5);
        Assert.Equal(0, SteadyAllocation.Bytes(() =>
        {
            for (int i = 0; i < 10_000; i++)
                h.Page.OnSampleHandled(null, result);
        }));
    }

    private static void Basic(PageHarness h, string user, string password) =>
        h.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    internal static (string Cert, string Key) SelfSigned(string dir)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using X509Certificate2 cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        string certPath = Path.Combine(dir, "page.crt"), keyPath = Path.Combine(dir, "page.key");
        File.WriteAllText(certPath, cert.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath);
    }

    /// <summary>A browser that stopped reading after the stream's start: later writes block until cancelled.</summary>
    private sealed class StalledStream : Stream
    {
        private int _writes;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => 0;
        public override long Position { get => 0; set { } }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => 0;
        public override long Seek(long offset, SeekOrigin origin) => 0;
        public override void SetLength(long value) { }
        public override void Write(byte[] buffer, int offset, int count) => throw new IOException("stalled");
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _writes) > 2)
                await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }
}
