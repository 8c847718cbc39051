using System.Device.Spi;
using System.Drawing;
using EdgeCL.Device.Config;
using Iot.Device.Ws28xx;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Gpio.Pixel;

/// <summary>One addressable RGB LED (or a short strip, all lit alike) that shows the agent's status as a colour, driven
/// through Iot.Device.Bindings' <see cref="Ws2812b"/> on SPI: one part instead of four LEDs and their pins.</summary>
/// <remarks>The colour, most urgent first: red = an error in the last 30 s; blue = teaching; amber = not synced (offline,
/// or entries still to send; a device without a fleet shows it too, so such devices usually leave it at the LEDs);
/// green = synced and adapting; dim white = synced, not adapting. Sent only on change (a few microseconds of SPI).</remarks>
public sealed class StatusPixel : IDisposable
{
    private readonly SpiDevice _bus;
    private readonly Ws2812b _strip;
    private readonly int _count;
    private readonly float _brightness;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private Color? _shown;
    private bool _disposed;

    private StatusPixel(SpiDevice bus, PixelSettings settings, ILogger logger)
    {
        _bus = bus;
        _count = settings.Count;
        _brightness = settings.Brightness;
        _logger = logger;
        _strip = new Ws2812b(bus, settings.Count);
    }

    /// <summary>The simulated strip when opened on the simulated bus; otherwise null.</summary>
    public SimulatedWs2812? Simulator => _bus as SimulatedWs2812;

    /// <summary>Opens the strip on <c>/dev/spidevB.C</c> (or a <see cref="SimulatedWs2812"/> when <paramref name="simulated"/>).</summary>
    /// <exception cref="GpioSetupException">The SPI device is missing or not permitted; one line.</exception>
    public static StatusPixel Open(PixelSettings settings, bool simulated, ILogger logger)
    {
        // 2.4 MHz makes three SPI bits per LED bit (the binding's encoding); mode 0, 8-bit words.
        var connection = new SpiConnectionSettings(settings.SpiBus, settings.ChipSelect) { ClockFrequency = 2_400_000, Mode = SpiMode.Mode0, DataBitLength = 8 };
        try
        {
            SpiDevice bus = simulated ? new SimulatedWs2812(connection, settings.Count) : SpiDevice.Create(connection);
            var pixel = new StatusPixel(bus, settings, logger);
            try
            {
                pixel._strip.Update(); // all off: a known start, and the SPI device is opened here (it opens on first use)
            }
            catch
            {
                bus.Dispose();
                throw;
            }
            return pixel;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PlatformNotSupportedException or ArgumentException)
        {
            throw new GpioSetupException($"gpio.status_pixel: cannot open /dev/spidev{settings.SpiBus}.{settings.ChipSelect} ({DeviceGpio.OneLine(ex.Message)}); enable SPI (on a Pi: raspi-config, Interface Options) and add the user to the spi group, or remove gpio.status_pixel");
        }
    }

    /// <summary>The colour for a state (before brightness).</summary>
    public static Color ColourOf(PanelState state) =>
        state.Error ? Color.FromArgb(255, 0, 0)
        : state.Learning ? Color.FromArgb(0, 0, 255)
        : !state.Synced ? Color.FromArgb(255, 120, 0)
        : state.Adapting ? Color.FromArgb(0, 255, 0)
        : Color.FromArgb(60, 60, 60);

    /// <summary>Shows the colour of <paramref name="state"/> when it differs from the one shown; a failed write is logged, not thrown.</summary>
    public void Show(PanelState state)
    {
        Color target = ColourOf(state);
        lock (_lock)
        {
            if (_disposed || _shown == target)
                return;
            if (Send(Scale(target)))
                _shown = target;
        }
    }

    /// <summary>Switches the LEDs off.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
            Send(Color.Black);
        }
        _bus.Dispose();
    }

    private Color Scale(Color c) => Color.FromArgb((int)(c.R * _brightness), (int)(c.G * _brightness), (int)(c.B * _brightness));

    private bool Send(Color colour)
    {
        try
        {
            for (int i = 0; i < _count; i++)
                _strip.Image.SetPixel(i, 0, colour);
            _strip.Update();
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            GpioLog.PixelFailed(_logger, DeviceGpio.OneLine(ex.Message));
            return false;
        }
    }
}
