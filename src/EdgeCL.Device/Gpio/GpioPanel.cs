using EdgeCL.Device.Agent;
using EdgeCL.Device.Config;
using EdgeCL.Device.Gpio.Display;
using EdgeCL.Device.Gpio.Pixel;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Gpio;

/// <summary>The agent's <see cref="IAgentPanel"/> on the device's pins and buses: the debounced teach button and the four
/// status LEDs of <see cref="DeviceGpio"/>, and, when configured, a <see cref="StatusDisplay"/> (I2C) and a
/// <see cref="StatusPixel"/> (SPI).</summary>
/// <remarks>The display and the pixel are optional parts: one that cannot be opened is logged in one line and the agent
/// runs without it, as it does with a missing camera. GPIO problems still refuse the panel (the button is how users teach).</remarks>
public sealed class GpioPanel : IAgentPanel
{
    private readonly DeviceGpio _gpio;
    private readonly StatusDisplay? _display;
    private readonly StatusPixel? _pixel;
    private readonly Lock _lock = new();
    private PanelState _state;
    private (bool Learning, bool Adapting, bool Synced, bool Error)? _shown;

    private GpioPanel(DeviceGpio gpio, StatusDisplay? display, StatusPixel? pixel)
    {
        _gpio = gpio;
        _display = display;
        _pixel = pixel;
        _gpio.TeachHeld += (_, _) => TeachHeld?.Invoke(this, EventArgs.Empty);
        _gpio.NotThisHeld += (_, _) => NotThisHeld?.Invoke(this, EventArgs.Empty);
    }

    /// <inheritdoc/>
    public event EventHandler? TeachHeld;

    /// <inheritdoc/>
    public event EventHandler? NotThisHeld;

    /// <summary>The GPIO underneath (its <see cref="DeviceGpio.Simulator"/> drives a simulated board).</summary>
    public DeviceGpio Gpio => _gpio;

    /// <summary>The status display, when configured and opened.</summary>
    public StatusDisplay? Display => _display;

    /// <summary>The status pixel, when configured and opened.</summary>
    public StatusPixel? Pixel => _pixel;

    /// <summary>Opens GPIO and the optional parts for the config; null settings = no panel. The default <see cref="PanelFactory"/> of <c>edgecl run</c>.</summary>
    /// <exception cref="GpioSetupException">A pin is missing or busy, or no driver works; one line.</exception>
    public static IAgentPanel? Open(GpioSettings? settings, string deviceId, ILoggerFactory loggerFactory) =>
        settings is null ? null : Open(settings, deviceId, loggerFactory, simulatedParts: null);

    /// <summary><see cref="Open(GpioSettings?, string, ILoggerFactory)"/>; <paramref name="simulatedParts"/> null = the
    /// display and pixel are simulated exactly when the GPIO driver is (tests set false to reach the real buses).</summary>
    internal static GpioPanel Open(GpioSettings settings, string deviceId, ILoggerFactory loggerFactory, bool? simulatedParts)
    {
        DeviceGpio gpio = DeviceGpio.Open(settings, loggerFactory);
        ILogger logger = loggerFactory.CreateLogger<GpioPanel>();
        bool simulated = simulatedParts ?? gpio.Simulator is not null;
        StatusDisplay? display = null;
        StatusPixel? pixel = null;
        try
        {
            if (settings.Display is { } d)
            {
                display = OpenPart(() => StatusDisplay.Open(d, deviceId, simulated, logger), logger);
                if (display is not null)
                    GpioLog.DisplayOpened(logger, d.Width, d.Height, d.I2cBus, d.Address);
            }
            if (settings.StatusPixel is { } p)
            {
                pixel = OpenPart(() => StatusPixel.Open(p, simulated, logger), logger);
                if (pixel is not null)
                    GpioLog.PixelOpened(logger, p.Type, p.Count, p.SpiBus, p.ChipSelect);
            }
            return new GpioPanel(gpio, display, pixel);
        }
        catch
        {
            display?.Dispose();
            pixel?.Dispose();
            gpio.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public void Show(bool learning, bool adapting, bool synced, bool error)
    {
        // Only on change: a write per loop turn would be a syscall per sample on real hardware.
        if (_shown == (learning, adapting, synced, error))
            return;
        _shown = (learning, adapting, synced, error);
        _gpio.SetLed(StatusLed.Learning, learning);
        _gpio.SetLed(StatusLed.Adapting, adapting);
        _gpio.SetLed(StatusLed.Synced, synced);
        _gpio.SetLed(StatusLed.Error, error);
        PanelState state;
        lock (_lock)
            state = _state = _state with { Learning = learning, Adapting = adapting, Synced = synced, Error = error };
        Publish(state);
    }

    /// <inheritdoc/>
    public void ShowResult(AgentResult result)
    {
        if (_display is null)
            return;
        PanelState state;
        lock (_lock)
            state = _state = _state.With(result);
        Publish(state);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _display?.Dispose();
        _pixel?.Dispose();
        _gpio.Dispose();
    }

    private void Publish(PanelState state)
    {
        _display?.Show(state);
        _pixel?.Show(state);
    }

    private static T? OpenPart<T>(Func<T> open, ILogger logger)
        where T : class
    {
        try
        {
            return open();
        }
        catch (GpioSetupException ex)
        {
            GpioLog.PartUnavailable(logger, ex.Message);
            return null;
        }
    }
}
