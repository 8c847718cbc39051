using System.Device.Gpio;
using System.Device.Gpio.Drivers;
using EdgeCL.Device.Config;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Gpio;

/// <summary>The device's teach button and status LEDs on one GPIO chip.</summary>
/// <remarks>
/// <para>The button is debounced here, by timestamps, not by the driver (libgpiod v1 has none that
/// System.Device.Gpio exposes): the first edge after a quiet period is taken at once, edges within
/// <see cref="ButtonSettings.DebounceMs"/> of it are bounce, and when that window closes the pin is read again so a release
/// hidden inside the bounce is not lost. <see cref="TeachHeld"/> is raised once per press, when the hold time is reached
/// (not at release), on a timer thread.</para>
/// <para>Owns the <see cref="GpioController"/> and its driver; must be disposed, which switches the LEDs off.
/// <see cref="SetLed"/> is safe to call from any thread.</para>
/// </remarks>
public sealed partial class DeviceGpio : IDisposable
{
    private static readonly string[] s_drivers = ["auto", "libgpiod", "simulated"];

    private readonly Lock _lock = new();
    private readonly GpioController _controller;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ButtonSettings? _button;
    private readonly LedSettings? _leds;
    private readonly PinChangeEventHandler? _onEdge;
    private readonly ITimer? _holdTimer;
    private readonly ITimer? _settleTimer;
    private readonly long _debounceTicks;
    private bool _pressed;
    private long _lockoutUntil;
    private long _pressedAt;
    private int _pressId;
    private bool _teachFired; // this press has raised TeachHeld; the timer now waits for the "not this" hold
    private bool _disposed;

    private DeviceGpio(GpioController controller, string driverName, SimulatedGpioDriver? simulator, GpioSettings settings, ILogger logger, TimeProvider time)
    {
        _controller = controller;
        DriverName = driverName;
        Simulator = simulator;
        _button = settings.TeachButton;
        _leds = settings.Leds;
        _logger = logger;
        _time = time;
        if (_button is not null)
        {
            _debounceTicks = _button.DebounceMs * time.TimestampFrequency / 1000;
            _onEdge = OnEdge;
            _holdTimer = time.CreateTimer(static s => ((DeviceGpio)s!).OnHoldTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _settleTimer = time.CreateTimer(static s => ((DeviceGpio)s!).OnSettleTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Raised once per press of the teach button held at least <see cref="ButtonSettings.HoldMs"/>, when that time is reached.</summary>
    /// <remarks>Raised on a timer thread; a handler that throws is logged and does not stop later presses.</remarks>
    public event EventHandler<TeachButtonEventArgs>? TeachHeld;

    /// <summary>Raised once per press held on to <see cref="ButtonSettings.NotThisMs"/> (after <see cref="TeachHeld"/>): "not this".</summary>
    public event EventHandler<TeachButtonEventArgs>? NotThisHeld;

    /// <summary>The driver in use: <c>libgpiod</c> or <c>simulated</c>.</summary>
    public string DriverName { get; }

    /// <summary>The simulated driver when <see cref="GpioSettings.Driver"/> is <c>simulated</c> (press the button, read the LEDs); otherwise null.</summary>
    public SimulatedGpioDriver? Simulator { get; }

    /// <summary>Opens the driver named by <paramref name="settings"/>, the teach button (input, pulled up when active-low) and the LEDs (outputs, off).</summary>
    /// <param name="settings">The <c>gpio</c> section of the device config.</param>
    /// <param name="loggerFactory">Diagnostics.</param>
    /// <exception cref="GpioSetupException">The settings are invalid, no driver works, or a pin is missing, busy or not permitted; the message is one line.</exception>
    public static DeviceGpio Open(GpioSettings settings, ILoggerFactory loggerFactory) => Open(settings, loggerFactory, TimeProvider.System);

    /// <summary><see cref="Open(GpioSettings, ILoggerFactory)"/> with a clock (tests use a manual one) and, for <c>simulated</c>, a prepared simulator (busy or missing pins).</summary>
    internal static DeviceGpio Open(GpioSettings settings, ILoggerFactory loggerFactory, TimeProvider time, SimulatedGpioDriver? simulator = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentNullException.ThrowIfNull(time);
        IReadOnlyList<string> problems = Validate(settings);
        if (problems.Count > 0)
            throw new GpioSetupException(problems.Count == 1 ? problems[0] : $"{problems[0]} (and {problems.Count - 1} more; run edgecl run --check)");

        ILogger logger = loggerFactory.CreateLogger<DeviceGpio>();
        (GpioDriver driver, string name) = simulator is not null && settings.Driver.Equals("simulated", StringComparison.OrdinalIgnoreCase)
            ? (simulator, "simulated")
            : CreateDriver(settings, logger);
        var controller = new GpioController(driver);
        var gpio = new DeviceGpio(controller, name, driver as SimulatedGpioDriver, settings, logger, time);
        try
        {
            gpio.OpenPins(settings);
        }
        catch
        {
            gpio.Dispose();
            throw;
        }
        GpioLog.Opened(logger, name, Where(settings), settings.TeachButton is { } b ? $"GPIO {b.Pin}" : "none", DescribeLeds(settings.Leds));
        return gpio;
    }

    /// <summary>Checks <paramref name="settings"/> without touching hardware, for <c>edgecl run --check</c>.</summary>
    /// <returns>One line per problem (what is wrong and what to do); empty when the settings are usable.</returns>
    public static IReadOnlyList<string> Validate(GpioSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var problems = new List<string>();
        if (Array.IndexOf(s_drivers, settings.Driver?.ToLowerInvariant()) < 0)
            problems.Add(settings.Driver == "sysfs" ? SysfsNotBuiltIn : $"gpio.driver '{settings.Driver}' is unknown; use auto, libgpiod or simulated");
        if (settings.Chip < 0)
            problems.Add($"gpio.chip is {settings.Chip}; use the number N of /dev/gpiochipN (device/pins.md)");

        var used = new Dictionary<int, string>();
        void Pin(int pin, string key)
        {
            if (pin < 0)
                problems.Add($"{key} is {pin}; set the line number it is wired to (device/pins.md)");
            else if (used.TryGetValue(pin, out string? other))
                problems.Add($"GPIO {pin} is used by both {other} and {key}; each needs its own pin");
            else
                used[pin] = key;
        }

        if (settings.TeachButton is { } button)
        {
            Pin(button.Pin, "gpio.teach_button.pin");
            if (button.DebounceMs is < 0 or > 1000)
                problems.Add($"gpio.teach_button.debounce_ms is {button.DebounceMs}; use 0..1000 (30 suits most push buttons)");
            if (button.HoldMs is < 50 or > 60_000)
                problems.Add($"gpio.teach_button.hold_ms is {button.HoldMs}; use 50..60000 (500 is a deliberate press)");
            else if (button.HoldMs <= button.DebounceMs)
                problems.Add($"gpio.teach_button.hold_ms ({button.HoldMs}) must be longer than debounce_ms ({button.DebounceMs})");
            if (button.NotThisMs != 0 && (button.NotThisMs < button.HoldMs + 500 || button.NotThisMs > 60_000))
                problems.Add($"gpio.teach_button.not_this_ms is {button.NotThisMs}; use 0 (off) or {button.HoldMs + 500}..60000, at least 500 ms longer than hold_ms (3000 is a deliberate long press)");
        }
        if (settings.Leds is { } leds)
        {
            foreach ((StatusLed led, int? pin) in LedPins(leds))
            {
                if (pin is { } p)
                    Pin(p, LedKey(led));
            }
        }
        ValidateParts(settings, problems);
        return problems;
    }

    /// <summary>Switches a status LED on or off; does nothing when that LED is not configured or after <see cref="Dispose"/>.</summary>
    /// <remarks>A write that fails (a pin taken away at runtime) is logged, not thrown: an LED must never stop the agent.</remarks>
    public void SetLed(StatusLed led, bool on)
    {
        if (_leds is null || LedPin(_leds, led) is not { } pin)
            return;
        lock (_lock)
        {
            if (_disposed)
                return;
            try
            {
                _controller.Write(pin, on != _leds.ActiveLow ? PinValue.High : PinValue.Low);
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException)
            {
                GpioLog.PinFailed(_logger, pin, $"switching LED {led} {(on ? "on" : "off")}", OneLine(ex.Message));
            }
        }
    }

    /// <summary>Switches the LEDs off, releases the pins and closes the driver.</summary>
    public void Dispose()
    {
        // Only the flag is set under the lock: closing a libgpiod driver joins its event thread, which may be waiting
        // for this lock in OnEdge; with the flag set it returns at once. SetLed and the timers check the flag too.
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
        }
        _holdTimer?.Dispose();
        _settleTimer?.Dispose();
        if (_button is not null && _onEdge is not null && _controller.IsPinOpen(_button.Pin))
            TryIgnore(() => _controller.UnregisterCallbackForPinValueChangedEvent(_button.Pin, _onEdge));
        if (_leds is not null)
        {
            foreach ((StatusLed _, int? pin) in LedPins(_leds))
            {
                if (pin is { } p && _controller.IsPinOpen(p))
                    TryIgnore(() => _controller.Write(p, _leds.ActiveLow ? PinValue.High : PinValue.Low));
            }
        }
        _controller.Dispose();
    }

    private static (GpioDriver Driver, string Name) CreateDriver(GpioSettings settings, ILogger logger)
    {
        int chip = settings.Chip;
        switch (settings.Driver.ToLowerInvariant())
        {
            case "simulated":
                return (new SimulatedGpioDriver(chip), "simulated");
            case "libgpiod":
                return TryLibGpiod(chip, out GpioDriver? gpiod, out string? reason)
                    ? (gpiod, "libgpiod")
                    : throw new GpioSetupException($"libgpiod cannot open gpiochip{chip} ({reason}); install libgpiod (apt install libgpiod2), check that /dev/gpiochip{chip} exists and the edgecl user is in the gpio group");
            case "sysfs":
                throw new GpioSetupException(SysfsNotBuiltIn);
            default: // "auto"; Validate rejected anything else.
                return TryLibGpiod(chip, out GpioDriver? auto, out string? gpiodReason)
                    ? (auto, "libgpiod")
                    : throw new GpioSetupException($"No GPIO driver works: libgpiod ({gpiodReason}); install libgpiod (apt install libgpiod2) and check /dev/gpiochip{chip}, or remove the gpio section to run without GPIO");
        }
    }

    private static bool TryLibGpiod(int chip, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out GpioDriver? driver, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? reason)
    {
        driver = null;
        reason = null;
        if (!OperatingSystem.IsLinux())
        {
            reason = "not Linux";
            return false;
        }
        try
        {
            driver = new LibGpiodDriver(chip);
            return true;
        }
        // DllNotFoundException: libgpiod is not installed; IOException: no such chip or no access.
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or IOException or PlatformNotSupportedException
                                       or UnauthorizedAccessException or ArgumentException or InvalidOperationException or TypeInitializationException)
        {
            reason = OneLine(ex.Message);
            return false;
        }
    }

    /// <summary>
    /// Why <c>sysfs</c> is refused: System.Device.Gpio's SysFsDriver marshals with <c>Marshal.PtrToStructure&lt;T&gt;</c>, which is
    /// not trim-safe (IL2091 in a Native AOT publish), and the sysfs GPIO ABI has been deprecated since Linux 4.8; every
    /// supported board (Pi OS Bookworm, JetPack 6) has the character device that libgpiod uses.
    /// </summary>
    internal const string SysfsNotBuiltIn = "gpio.driver 'sysfs' is not built into this binary (the kernel's sysfs GPIO is deprecated and its .NET driver is not AOT-safe); use libgpiod (apt install libgpiod2) with driver 'auto' or 'libgpiod'";

    private void OpenPins(GpioSettings settings)
    {
        string where = Where(settings);
        if (_button is { } button)
        {
            PinMode wanted = button.ActiveLow ? PinMode.InputPullUp : PinMode.InputPullDown;
            OpenPin(button.Pin, where, "gpio.teach_button.pin", () =>
            {
                // The pull-up lets a button wired to ground work without a resistor; not every driver has one (sysfs does not).
                bool pull = _controller.IsPinModeSupported(button.Pin, wanted);
                if (!pull)
                    GpioLog.NoInternalPull(_logger, button.Pin, button.ActiveLow ? "pull-up" : "pull-down");
                _controller.OpenPin(button.Pin, pull ? wanted : PinMode.Input);
                _pressed = IsPressed(_controller.Read(button.Pin));
                _controller.RegisterCallbackForPinValueChangedEvent(button.Pin, PinEventTypes.Rising | PinEventTypes.Falling, _onEdge!);
            });
            if (_pressed)
                GpioLog.PressedAtStart(_logger, button.Pin); // no TeachHeld until it has been released once
        }
        if (_leds is { } leds)
        {
            PinValue off = leds.ActiveLow ? PinValue.High : PinValue.Low;
            foreach ((StatusLed led, int? pin) in LedPins(leds))
            {
                if (pin is { } p)
                    OpenPin(p, where, LedKey(led), () => _controller.OpenPin(p, PinMode.Output, off));
            }
        }
    }

    private void OpenPin(int pin, string where, string key, Action open)
    {
        // libgpiod knows its line count, so a pin beyond it is named before any open fails obscurely.
        if (pin >= _controller.PinCount)
            throw new GpioSetupException($"GPIO {pin} does not exist on {where} (lines 0..{_controller.PinCount - 1}); check {key} against device/pins.md");
        try
        {
            open();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or NotSupportedException)
        {
            throw new GpioSetupException(DescribePinError(ex, pin, where, key), ex);
        }
    }

    /// <summary>One line for a pin that could not be opened: busy, missing, not permitted, or the driver's own words.</summary>
    internal static string DescribePinError(Exception ex, int pin, string where, string key)
    {
        string message = OneLine(ex.Message);
        // libgpiod reports errno in HResult and its text in the message: EACCES 13, EBUSY 16, EINVAL 22.
        if (ex is UnauthorizedAccessException || ex.HResult == 13 || message.Contains("permission denied", StringComparison.OrdinalIgnoreCase))
            return $"GPIO {pin} on {where}: permission denied; add the edgecl user to the gpio group (device/install.sh does) or give it access to /dev/gpiochip*";
        if (ex.HResult == 16 || message.Contains("busy", StringComparison.OrdinalIgnoreCase))
            return $"GPIO {pin} on {where} is busy (used by another process or a kernel driver); free it or choose another pin in {key}";
        if (ex is ArgumentException || ex.HResult == 22 || message.Contains("invalid argument", StringComparison.OrdinalIgnoreCase))
            return $"GPIO {pin} does not exist on {where}; check {key} against device/pins.md";
        return $"GPIO {pin} on {where} could not be opened ({message}); check {key} against device/pins.md";
    }

    private static string Where(GpioSettings settings) => $"gpiochip{settings.Chip}";

    private static int? LedPin(LedSettings leds, StatusLed led) => led switch
    {
        StatusLed.Learning => leds.Learning,
        StatusLed.Adapting => leds.Adapting,
        StatusLed.Synced => leds.Synced,
        StatusLed.Error => leds.Error,
        _ => throw new ArgumentOutOfRangeException(nameof(led), led, "Unknown status LED."),
    };

    private static (StatusLed Led, int? Pin)[] LedPins(LedSettings leds) =>
        [(StatusLed.Learning, leds.Learning), (StatusLed.Adapting, leds.Adapting), (StatusLed.Synced, leds.Synced), (StatusLed.Error, leds.Error)];

    private static string LedKey(StatusLed led) => led switch
    {
        StatusLed.Learning => "gpio.leds.learning",
        StatusLed.Adapting => "gpio.leds.adapting",
        StatusLed.Synced => "gpio.leds.synced",
        _ => "gpio.leds.error",
    };

    private static string DescribeLeds(LedSettings? leds)
    {
        if (leds is null)
            return "none";
        var parts = new List<string>();
        foreach ((StatusLed led, int? pin) in LedPins(leds))
        {
            if (pin is { } p)
                parts.Add($"{led}={p}");
        }
        return parts.Count == 0 ? "none" : string.Join(' ', parts) + (leds.ActiveLow ? " (active low)" : "");
    }

    internal static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    private static void TryIgnore(Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            // Disposing: a pin that cannot be written any more has nothing left to report.
        }
    }
}
