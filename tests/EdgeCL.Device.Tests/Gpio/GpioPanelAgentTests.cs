using EdgeCL.Device.Agent;
using EdgeCL.Device.Config;
using EdgeCL.Device.Gpio;
using EdgeCL.Device.Tests.Agent;
using EdgeCL.Tests.Shared;

namespace EdgeCL.Device.Tests.Gpio;

/// <summary>The whole panel in the agent: <see cref="GpioPanel.Open"/> with the simulated driver, the SSD1306 display and
/// the WS2812B pixel, fed by the real agent loop.</summary>
public sealed class GpioPanelAgentTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-panel-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task The_display_shows_what_the_agent_recognised_and_the_pixel_its_status()
    {
        var random = new Random(3);
        var gpio = new GpioSettings
        {
            Driver = "simulated",
            Display = new DisplaySettings { Height = 32, RefreshMs = 50 },
            StatusPixel = new PixelSettings { Brightness = 1 },
        };
        DeviceConfig config = AgentTestData.Config("dev-panel", Path.Combine(_dir, "state"), gpio: gpio, method: "ncm-centred");
        await using RunningAgent a = await RunningAgent.StartAsync(config, _dir, GpioPanel.Open);
        var panel = (GpioPanel)a.Agent.Panel!;
        for (int c = 0; c < 2; c++)
            for (int k = 0; k < 3; k++)
                a.Source.Add(AgentTestData.Sample(c, random), label: $"class{c}");
        a.Source.Add(AgentTestData.Sample(1, random), origin: "query");
        IReadOnlyList<AgentResult> results = a.WaitForResults(7);
        Assert.Equal(AgentOutcome.Recognised, results[^1].Outcome);

        for (int i = 0; i < 1000 && panel.Display!.Simulator!.ReadRow(1) != "class1"; i++)
            await Task.Delay(10);
        // Row 0 is the device id, drawn inverted (light background).
        Assert.Equal((byte)~EdgeCL.Device.Gpio.Display.Font5x7.Glyph('d')[0], panel.Display!.Simulator!.Ram()[0]);
        Assert.Equal("class1", panel.Display.Simulator.ReadRow(1));
        Assert.StartsWith("score 0.", panel.Display.Simulator.ReadRow(2));
        // No fleet: never synced, so amber.
        Assert.Equal(((byte)255, (byte)120, (byte)0), panel.Pixel!.Simulator![0]);
        Assert.Contains("status display: SSD1306 128x32 on I2C bus 1 at 0x3C", a.LogText);
    }

    [Fact]
    public void A_display_that_cannot_be_opened_is_one_line_and_the_rest_of_the_panel_works()
    {
        var log = new ListLoggerFactory();
        var gpio = new GpioSettings { Driver = "simulated", Leds = new LedSettings { Learning = 22 }, Display = new DisplaySettings { I2cBus = 250 }, StatusPixel = new PixelSettings { SpiBus = 250 } };
        using GpioPanel panel = GpioPanel.Open(gpio, "dev", log, simulatedParts: false); // GPIO simulated, the buses real (absent here)
        Assert.Null(panel.Display);
        Assert.Null(panel.Pixel);
        string line = Assert.Single(log.Lines, l => l.Contains("gpio.display", StringComparison.Ordinal));
        Assert.StartsWith("gpio.display: cannot open /dev/i2c-250", line);
        Assert.EndsWith("running without it", line);
        Assert.Single(log.Lines, l => l.StartsWith("gpio.status_pixel: cannot open /dev/spidev250.0", StringComparison.Ordinal));
        panel.Show(learning: true, adapting: false, synced: false, error: false); // the LEDs still work
        Assert.Equal(System.Device.Gpio.PinValue.High, panel.Gpio.Simulator!.ReadOutput(22));
    }

    [Fact]
    public void Showing_results_allocates_nothing_on_the_agent_loop()
    {
        // Per sample: nothing. A status change (a few an hour) costs the binding's WS2812B frame, ~0.5 KiB, not measured here.
        var gpio = new GpioSettings { Driver = "simulated", Leds = new LedSettings { Learning = 22 }, Display = new DisplaySettings(), StatusPixel = new PixelSettings() };
        using var panel = (GpioPanel)GpioPanel.Open(gpio, "dev", new ListLoggerFactory())!;
        var hello = new AgentResult(AgentOutcome.Recognised, "mic", "u", "hello", new Core.Memory.Prediction(0, "hello", 0.8f, 0, 0, 0), 1);
        var stop = hello with { Label = "stop" };
        Assert.Equal(0, SteadyAllocation.Bytes(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                panel.ShowResult(i % 2 == 0 ? hello : stop); // the display's worker draws; this thread only records
                panel.Show(learning: false, adapting: true, synced: true, error: false); // called every loop turn; the status rarely changes
            }
        }));
    }

    [Theory]
    [InlineData("{\"type\":\"sh1106\"}", "gpio.display.type 'sh1106' is unknown; use ssd1306")]
    [InlineData("{\"address\":200}", "gpio.display.address is 200; an SSD1306 answers at 60 (0x3C)")]
    [InlineData("{\"address\":120}", "gpio.display.address is 120 (0x78), the 8-bit form printed on many modules; use 60 (0x3C)")]
    [InlineData("{\"height\":48}", "gpio.display.height is 48; use 64, 32 or 16")]
    public void Display_settings_out_of_range_are_one_line_each(string display, string expected)
    {
        var settings = new GpioSettings { Driver = "simulated", Display = System.Text.Json.JsonSerializer.Deserialize(display, DeviceConfigJsonContext.Default.DisplaySettings) };
        Assert.Contains(DeviceGpio.Validate(settings), p => p.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Pixel_settings_out_of_range_are_one_line_each()
    {
        var settings = new GpioSettings { Driver = "simulated", StatusPixel = new PixelSettings { Type = "apa102", Count = 0, Brightness = 2 } };
        IReadOnlyList<string> problems = DeviceGpio.Validate(settings);
        Assert.Equal(3, problems.Count);
        Assert.All(problems, p => Assert.StartsWith("gpio.status_pixel", p));
    }
}
