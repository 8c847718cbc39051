using System.Drawing;
using EdgeCL.Device.Agent;
using EdgeCL.Device.Config;
using EdgeCL.Device.Gpio;
using EdgeCL.Device.Gpio.Pixel;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeCL.Device.Tests.Gpio;

/// <summary>The WS2812B status pixel: Iot.Device.Bindings' driver writing SPI to a simulated strip that decodes the bit
/// stream as the LEDs do (110 = 1, 100 = 0, green-red-blue).</summary>
public sealed class StatusPixelTests
{
    private static readonly PanelState Idle = new(false, false, true, false, null, null, float.NaN);

    [Theory]
    [InlineData(false, false, true, true, 0, 255, 0)]    // synced and adapting: green
    [InlineData(false, false, false, false, 255, 120, 0)] // not synced: amber
    [InlineData(true, false, true, true, 0, 0, 255)]     // teaching: blue
    [InlineData(true, true, true, true, 255, 0, 0)]      // an error wins: red
    public void Each_state_shows_its_colour_on_every_led(bool learning, bool error, bool synced, bool adapting, int r, int g, int b)
    {
        using StatusPixel pixel = StatusPixel.Open(new PixelSettings { Count = 3, Brightness = 1 }, simulated: true, NullLogger.Instance);
        pixel.Show(new PanelState(learning, adapting, synced, error, null, null, float.NaN));
        for (int i = 0; i < 3; i++)
            Assert.Equal(((byte)r, (byte)g, (byte)b), pixel.Simulator![i]);
    }

    [Fact]
    public void Brightness_scales_the_colour_and_only_changes_are_sent()
    {
        using StatusPixel pixel = StatusPixel.Open(new PixelSettings { Brightness = 0.2f }, simulated: true, NullLogger.Instance);
        SimulatedWs2812 strip = pixel.Simulator!;
        pixel.Show(Idle with { Adapting = true });
        Assert.Equal(((byte)0, (byte)51, (byte)0), strip[0]);
        int writes = strip.Writes;
        pixel.Show(Idle with { Adapting = true, Label = "other", Score = 0.5f }); // same colour
        Assert.Equal(writes, strip.Writes);
        pixel.Show(Idle);
        Assert.Equal(((byte)12, (byte)12, (byte)12), strip[0]);
    }

    [Fact]
    public void Dispose_switches_the_leds_off()
    {
        StatusPixel pixel = StatusPixel.Open(new PixelSettings { Count = 2 }, simulated: true, NullLogger.Instance);
        SimulatedWs2812 strip = pixel.Simulator!;
        pixel.Show(Idle with { Error = true });
        Assert.NotEqual(((byte)0, (byte)0, (byte)0), strip[1]);
        pixel.Dispose();
        Assert.Equal(((byte)0, (byte)0, (byte)0), strip[1]);
    }

    [Fact]
    public void The_simulator_refuses_a_stream_that_is_not_ws2812_symbols()
    {
        var strip = new SimulatedWs2812(new System.Device.Spi.SpiConnectionSettings(0, 0), 1);
        Assert.Throws<IOException>(() => strip.Write([0b1111_1111, 0xFF, 0xFF]));
        Assert.Equal(Color.FromArgb(255, 0, 0), StatusPixel.ColourOf(Idle with { Error = true }));
    }

    [Fact]
    public void A_missing_spi_device_is_one_line_naming_what_to_do()
    {
        var ex = Assert.Throws<GpioSetupException>(() => StatusPixel.Open(new PixelSettings { SpiBus = 250 }, simulated: false, NullLogger.Instance));
        Assert.Contains("/dev/spidev250.0", ex.Message);
        Assert.Contains("remove gpio.status_pixel", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }
}
