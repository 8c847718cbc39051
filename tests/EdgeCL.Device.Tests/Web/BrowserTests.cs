using System.Diagnostics;
using System.Text.Json.Nodes;
using EdgeCL.Device.Tests.Agent;
using Xunit.Abstractions;

namespace EdgeCL.Device.Tests.Web;

/// <summary>The device page in a real browser (Debian's chromium, headless): it loads with no console error, shows a
/// recognition live, teaches a class from uploaded files and forgets it, all through the page's own controls.
/// A cross-origin POST from a hostile page in the browser reaches the server and is refused (earlier tries posted from
/// one of our own pages, whose CSP <c>connect-src 'self'</c> stopped the request before it left the browser).</summary>
public sealed class BrowserTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-browser-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task The_page_shows_recognitions_live_and_teaches_and_forgets_from_the_browser()
    {
        if (!HeadlessChromium.Available)
        {
            output.WriteLine($"skipped: {HeadlessChromium.Path} is not installed (ops/setup.sh installs chromium)");
            return;
        }
        await using PageHarness h = await PageHarness.StartAsync(_dir);
        h.TeachThreeClasses(new Random(1));
        await using HeadlessChromium browser = await HeadlessChromium.StartAsync();
        await browser.CallAsync("Page.navigate", new JsonObject { ["url"] = h.Origin + "/" });
        await browser.WaitUntilAsync("document.getElementById('stream')?.textContent === 'live'");
        await browser.WaitUntilAsync("document.querySelectorAll('#classes tbody tr').length === 3");

        // Recognitions appear as they happen: median of 20, from the agent's result to the row in the page.
        var latencies = new List<double>();
        for (int i = 0; i < 20; i++)
        {
            var clock = Stopwatch.StartNew();
            h.Agent.Source.Add(AgentTestData.Sample(i % 3, new Random(100 + i)), origin: $"live-{i}");
            await browser.WaitUntilAsync($"[...document.querySelectorAll('#live tbody tr')].length === {i + 1}", 5);
            latencies.Add(clock.Elapsed.TotalMilliseconds);
        }
        latencies.Sort();
        output.WriteLine($"sample queued → row in the page: median {latencies[10]:F0} ms, max {latencies[^1]:F0} ms (20 samples)");
        Assert.True(latencies[10] < 1000, $"median {latencies[10]} ms");
        Assert.Equal("class1", (await browser.EvaluateAsync("document.querySelector('#live tbody tr td.recognised').textContent"))!.GetValue<string>());

        // Teach a class by uploading files through the page's form.
        string seven = Path.Combine(AgentTestData.Models, "digits", "samples", "7_0000.pgm");
        await browser.SetFilesAsync("#upload-files", seven);
        await browser.EvaluateAsync("document.getElementById('upload-label').value = 'seven'; document.getElementById('upload').click(); true");
        await browser.WaitUntilAsync("document.getElementById('message').textContent.includes(\"learned as 'seven'\")");
        await browser.WaitUntilAsync("[...document.querySelectorAll('#classes tbody td')].some(td => td.textContent === 'seven')");

        // Forget it from the page (the confirmation answered yes).
        await browser.EvaluateAsync("window.confirm = () => true; document.querySelector(\"button.forget[data-label='seven']\").click(); true");
        await browser.WaitUntilAsync("![...document.querySelectorAll('#classes tbody td')].some(td => td.textContent === 'seven')");
        Assert.Contains("forget label=seven by=web forgotten=True", h.LogText, StringComparison.Ordinal);

        Assert.True(browser.Errors.IsEmpty, string.Join("\n", browser.Errors)); // no console error on the page
    }

    [Fact]
    public async Task A_cross_origin_post_from_another_page_in_the_browser_is_refused()
    {
        if (!HeadlessChromium.Available)
        {
            output.WriteLine($"skipped: {HeadlessChromium.Path} is not installed (ops/setup.sh installs chromium)");
            return;
        }
        await using PageHarness target = await PageHarness.StartAsync(_dir);
        // A hostile page on another origin (same host, another port, no CSP of ours) posts to the device page. (Our own
        // pages could not even try: their CSP allows connecting only to themselves.)
        using var hostile = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        hostile.Start();
        string hostileOrigin = $"http://127.0.0.1:{((System.Net.IPEndPoint)hostile.LocalEndpoint).Port}";
        Task serving = Task.Run(async () =>
        {
            using System.Net.Sockets.TcpClient client = await hostile.AcceptTcpClientAsync();
            using System.Net.Sockets.NetworkStream stream = client.GetStream();
            Assert.True(await stream.ReadAsync(new byte[4096]) > 0); // the request head (one read is enough for a GET)
            const string body = "<html><p>hostile</html>";
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"));
        });
        await using HeadlessChromium browser = await HeadlessChromium.StartAsync();
        await browser.CallAsync("Page.navigate", new JsonObject { ["url"] = hostileOrigin + "/" });
        await browser.WaitUntilAsync("document.body?.textContent === 'hostile'");
        await serving;
        await browser.EvaluateAsync($"fetch('{target.Origin}/api/reset-adaptation', {{ method: 'POST', mode: 'no-cors' }}).then(() => true, () => true)");
        await DevicePageTests.WaitUntil(() => target.LogText.Contains("cross-origin request refused", StringComparison.Ordinal), 10);
        Assert.Contains($"origin '{hostileOrigin}'", target.LogText, StringComparison.Ordinal);
        await Task.Delay(200);
        Assert.DoesNotContain("adaptation reset by=web", target.LogText, StringComparison.Ordinal);
    }
}
