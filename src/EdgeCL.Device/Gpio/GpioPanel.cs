using EdgeCL.Device.Agent;
using EdgeCL.Device.Config;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Gpio;

/// <summary>The agent's <see cref="IAgentPanel"/> on GPIO: the debounced teach button and the four status LEDs of <see cref="DeviceGpio"/>.</summary>
public sealed class GpioPanel : IAgentPanel
{
    private readonly DeviceGpio _gpio;
    private (bool Learning, bool Adapting, bool Synced, bool Error)? _shown;

    private GpioPanel(DeviceGpio gpio)
    {
        _gpio = gpio;
        _gpio.TeachHeld += (_, _) => TeachHeld?.Invoke(this, EventArgs.Empty);
        _gpio.NotThisHeld += (_, _) => NotThisHeld?.Invoke(this, EventArgs.Empty);
    }

    /// <inheritdoc/>
    public event EventHandler? TeachHeld;

    /// <inheritdoc/>
    public event EventHandler? NotThisHeld;

    /// <summary>The GPIO underneath (its <see cref="DeviceGpio.Simulator"/> drives a simulated board).</summary>
    public DeviceGpio Gpio => _gpio;

    /// <summary>Opens GPIO for the config; null settings = no panel. The default <see cref="PanelFactory"/> of <c>edgecl run</c>.</summary>
    /// <exception cref="GpioSetupException">A pin is missing or busy, or no driver works; one line.</exception>
    public static IAgentPanel? Open(GpioSettings? settings, ILoggerFactory loggerFactory) =>
        settings is null ? null : new GpioPanel(DeviceGpio.Open(settings, loggerFactory));

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
    }

    /// <inheritdoc/>
    public void Dispose() => _gpio.Dispose();
}
