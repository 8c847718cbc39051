using System.Device.Gpio;

namespace EdgeCL.Device.Gpio;

/// <summary>
/// A GPIO driver without hardware, for laptops and tests: a real <see cref="GpioController"/> runs on it. Input levels are
/// set with <see cref="SetInput"/>, output levels read back with <see cref="ReadOutput"/>, and pins can be made
/// missing (not in the set) or busy (claimed by "another process") to exercise the error paths.
/// </summary>
/// <remarks>
/// Value-change callbacks are raised synchronously on the thread that calls <see cref="SetInput"/>, after the driver's lock is
/// released (a real driver raises them on its own event thread; consumers must not assume either). Thread-safe.
/// </remarks>
public sealed class SimulatedGpioDriver : GpioDriver
{
    private readonly Lock _lock = new();
    private readonly SortedSet<int> _pins;
    private readonly HashSet<int> _busy = [];
    private readonly Dictionary<int, PinMode> _open = [];
    private readonly Dictionary<int, PinValue> _inputs = [];
    private readonly Dictionary<int, PinValue> _outputs = [];
    private readonly List<(int Pin, PinEventTypes Types, PinChangeEventHandler Callback)> _callbacks = [];

    /// <summary>Creates a simulated chip with lines 0..27 (the Raspberry Pi's BCM GPIOs).</summary>
    /// <param name="chip">The chip number shown in messages (<c>gpiochip{chip}</c>).</param>
    public SimulatedGpioDriver(int chip = 0)
        : this(Enumerable.Range(0, 28), chip)
    {
    }

    /// <summary>Creates a simulated chip with exactly <paramref name="pins"/>; other numbers are missing.</summary>
    /// <param name="pins">The line numbers that exist.</param>
    /// <param name="chip">The chip number shown in messages (<c>gpiochip{chip}</c>).</param>
    public SimulatedGpioDriver(IEnumerable<int> pins, int chip = 0)
    {
        ArgumentNullException.ThrowIfNull(pins);
        _pins = [.. pins];
        Chip = chip;
    }

    /// <summary>The chip number this driver pretends to be.</summary>
    public int Chip { get; }

    /// <summary>Marks <paramref name="pin"/> as held by another process: opening it fails with EBUSY, as libgpiod does.</summary>
    public void MarkBusy(int pin)
    {
        lock (_lock)
            _busy.Add(pin);
    }

    /// <summary>Sets the level an input pin reads and raises the matching rising/falling callbacks when it changes.</summary>
    /// <remarks>A pin never set reads its pull: high with <see cref="PinMode.InputPullUp"/>, low otherwise.</remarks>
    public void SetInput(int pin, PinValue value)
    {
        PinChangeEventHandler[] toCall;
        PinEventTypes edge;
        lock (_lock)
        {
            PinValue before = InputLevel(pin);
            _inputs[pin] = value;
            if (before == value || !_open.ContainsKey(pin))
                return;
            edge = value == PinValue.High ? PinEventTypes.Rising : PinEventTypes.Falling;
            toCall = [.. _callbacks.Where(c => c.Pin == pin && (c.Types & edge) != 0).Select(c => c.Callback)];
        }
        var args = new PinValueChangedEventArgs(edge, pin);
        foreach (PinChangeEventHandler callback in toCall)
            callback(this, args);
    }

    /// <summary>The last value written to an output pin (kept after the pin is closed, so a test can check "off at dispose").</summary>
    /// <exception cref="InvalidOperationException">Nothing was ever written to <paramref name="pin"/>.</exception>
    public PinValue ReadOutput(int pin)
    {
        lock (_lock)
        {
            return _outputs.TryGetValue(pin, out PinValue value)
                ? value
                : throw new InvalidOperationException($"Simulated GPIO {pin} on gpiochip{Chip} was never written as an output.");
        }
    }

    /// <summary>The mode an open pin is in, or null when it is closed.</summary>
    public PinMode? GetOpenMode(int pin)
    {
        lock (_lock)
            return _open.TryGetValue(pin, out PinMode mode) ? mode : null;
    }

    /// <inheritdoc/>
    protected override int PinCount => _pins.Count == 0 ? 0 : _pins.Max + 1;

    /// <inheritdoc/>
    protected override void OpenPin(int pinNumber)
    {
        lock (_lock)
        {
            // Messages and error codes as libgpiod gives them, so DeviceGpio's mapping is exercised for real.
            if (!_pins.Contains(pinNumber))
                throw new IOException($"Error while opening pin {pinNumber}: Invalid argument", 22);
            if (_busy.Contains(pinNumber))
                throw new IOException($"Error while requesting pin {pinNumber}: Device or resource busy", 16);
            _open.TryAdd(pinNumber, PinMode.Input);
        }
    }

    /// <inheritdoc/>
    protected override void ClosePin(int pinNumber)
    {
        lock (_lock)
        {
            _open.Remove(pinNumber);
            _callbacks.RemoveAll(c => c.Pin == pinNumber);
        }
    }

    /// <inheritdoc/>
    protected override void SetPinMode(int pinNumber, PinMode mode)
    {
        lock (_lock)
        {
            RequireOpen(pinNumber);
            _open[pinNumber] = mode;
        }
    }

    /// <inheritdoc/>
    protected override PinMode GetPinMode(int pinNumber)
    {
        lock (_lock)
        {
            RequireOpen(pinNumber);
            return _open[pinNumber];
        }
    }

    /// <inheritdoc/>
    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) =>
        _pins.Contains(pinNumber) && mode is PinMode.Input or PinMode.InputPullUp or PinMode.InputPullDown or PinMode.Output;

    /// <inheritdoc/>
    protected override PinValue Read(int pinNumber)
    {
        lock (_lock)
        {
            RequireOpen(pinNumber);
            return _open[pinNumber] == PinMode.Output ? _outputs.GetValueOrDefault(pinNumber, PinValue.Low) : InputLevel(pinNumber);
        }
    }

    /// <inheritdoc/>
    protected override void Write(int pinNumber, PinValue value)
    {
        lock (_lock)
        {
            RequireOpen(pinNumber);
            _outputs[pinNumber] = value;
        }
    }

    /// <inheritdoc/>
    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken)
    {
        using var signalled = new ManualResetEventSlim();
        PinEventTypes seen = PinEventTypes.None;
        void OnChange(object sender, PinValueChangedEventArgs e)
        {
            seen = e.ChangeType;
            signalled.Set();
        }
        AddCallbackForPinValueChangedEvent(pinNumber, eventTypes, OnChange);
        try
        {
            signalled.Wait(cancellationToken);
            return new WaitForEventResult { EventTypes = seen, TimedOut = false };
        }
        catch (OperationCanceledException)
        {
            return new WaitForEventResult { EventTypes = PinEventTypes.None, TimedOut = true };
        }
        finally
        {
            RemoveCallbackForPinValueChangedEvent(pinNumber, OnChange);
        }
    }

    /// <inheritdoc/>
    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        lock (_lock)
        {
            RequireOpen(pinNumber);
            _callbacks.Add((pinNumber, eventTypes, callback));
        }
    }

    /// <inheritdoc/>
    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback)
    {
        lock (_lock)
            _callbacks.RemoveAll(c => c.Pin == pinNumber && c.Callback == callback);
    }

    /// <inheritdoc/>
    public override GpioChipInfo GetChipInfo() => new(Chip, $"gpiochip{Chip}", "EdgeCL simulated GPIO", PinCount);

    private PinValue InputLevel(int pin) =>
        _inputs.TryGetValue(pin, out PinValue value) ? value
        : _open.GetValueOrDefault(pin) == PinMode.InputPullUp ? PinValue.High : PinValue.Low;

    private void RequireOpen(int pin)
    {
        if (!_open.ContainsKey(pin))
            throw new InvalidOperationException($"Simulated GPIO {pin} on gpiochip{Chip} is not open.");
    }
}
