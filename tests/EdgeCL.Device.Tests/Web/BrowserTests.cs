using System.Diagnostics;
using System.Text.Json.Nodes;
using EdgeCL.Device.Tests.Agent;
using Xunit.Abstractions;

namespace EdgeCL.Device.Tests.Web;

/// <summary>The device page in a real browser (Debian's chromium, headless): it loads with no console error, shows a
/// recognition live, teaches a class from uploaded files and forgets it, all through the page's own controls.
/// Cross-origin refusals are tested at the HTTP level (PageSecurityTests): in chromium 156 a no-cors POST from a page on
/// another origin (localhost vs 127.0.0.1, or data:) never reached the server (not investigated further; probably its
/// local-network-access protection), so the server's refusal could not be observed from here.</summary>
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
}
