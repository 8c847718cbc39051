using System.Text.Json.Nodes;
using EdgeCL.Device.Tests.Agent;
using Xunit.Abstractions;

namespace EdgeCL.Device.Tests.Web.Fleet;

/// <summary>The fleet page in a real browser (Debian's chromium, headless): two agents on the embedded broker appear, and
/// a command sent from the page to a device that is offline shows pending until the device is back and acknowledges it.</summary>
public sealed class FleetBrowserTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-fleetbrowser-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task The_fleet_page_lists_two_devices_and_shows_a_command_pending_then_done()
    {
        if (!HeadlessChromium.Available)
        {
            output.WriteLine($"skipped: {HeadlessChromium.Path} is not installed (ops/setup.sh installs chromium)");
            return;
        }
        await using FleetHarness h = await FleetHarness.StartAsync(_dir);
        var random = new Random(4);
        for (int k = 0; k < 3; k++)
            h.A.Source.Add(AgentTestData.Sample(1, random), label: "stop");
        h.A.WaitForResults(3);
        await using HeadlessChromium browser = await HeadlessChromium.StartAsync();
        await browser.CallAsync("Page.navigate", new JsonObject { ["url"] = h.Origin + "/" });
        await browser.WaitUntilAsync("document.getElementById('stream')?.textContent === 'live'");
        await browser.WaitUntilAsync("[...document.querySelectorAll('#devices tbody tr')].filter(r => r.cells[1].textContent === 'online').length === 2");
        await browser.WaitUntilAsync("document.querySelector(\"#classes tr[data-label='stop']\")?.cells[2].textContent === 'agent-a (3)'");

        await h.StopBAsync();
        await browser.WaitUntilAsync("document.querySelector(\"#devices tr[data-device='agent-b']\").cells[1].textContent === 'offline'");
        await browser.EvaluateAsync("document.querySelector(\"#devices tr[data-device='agent-b'] button\").click(); true");
        await browser.WaitUntilAsync("document.querySelector('#commands tbody td.state')?.textContent === 'pending'");
        // The live stream can show the pending row before the click's own answer fills the message line: wait for both.
        await browser.WaitUntilAsync("document.getElementById('message').textContent.includes('pending until agent-b acknowledges it')");

        await h.StartBAsync();
        TimeSpan took = await browser.WaitUntilAsync("document.querySelector('#commands tbody td.state')?.textContent === 'done'", 20);
        output.WriteLine($"agent-b back → command shown done: {took.TotalMilliseconds:F0} ms");
        Assert.Equal(1, h.B!.Agent.Health().AdaptationResets);
        Assert.True(browser.Errors.IsEmpty, string.Join("\n", browser.Errors));
    }
}
