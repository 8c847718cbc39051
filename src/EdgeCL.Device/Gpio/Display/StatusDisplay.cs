using System.Device.I2c;
using System.Globalization;
using EdgeCL.Device.Agent;
using EdgeCL.Device.Config;
using Iot.Device.Ssd13xx;
using Iot.Device.Ssd13xx.Commands.Ssd1306Commands;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Gpio.Display;

/// <summary>A small SSD1306 OLED (I2C) that shows the device, its status and the last result, driven through
/// Iot.Device.Bindings' <see cref="Ssd1306"/> (its initialisation sequence and addressing; the text is drawn here).</summary>
/// <remarks>A frame is ~1 KiB on a 400 kHz bus, about 25 ms: the agent loop only records the state, and a worker thread
/// draws and sends it, at most once per <see cref="DisplaySettings.RefreshMs"/> and only when it changed. A failed write is
/// logged once per failure streak and never stops the agent.</remarks>
public sealed class StatusDisplay : IDisposable
{
    private readonly Ssd1306 _chip;
    private readonly I2cDevice _bus;
    private readonly MonoFrame _frame;
    private readonly byte[] _push;
    private readonly char[] _line;
    private readonly string _deviceId;
    private readonly ILogger _logger;
    private readonly TimeSpan _refresh;
    private readonly Lock _lock = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly Thread _worker;
    private PanelState _state;
    private PanelState? _shown;
    private bool _failing;
    private volatile bool _disposed;

    private StatusDisplay(I2cDevice bus, DisplaySettings settings, string deviceId, ILogger logger)
    {
        _bus = bus;
        PlainBitmapFactory.EnsureRegistered();
        _chip = new Ssd1306(bus, settings.Width, settings.Height); // sends the init sequence and switches the panel on
        _frame = new MonoFrame(settings.Width, settings.Height);
        _push = new byte[_frame.Bytes.Length];
        _line = new char[_frame.Columns];
        _deviceId = deviceId;
        _logger = logger;
        _refresh = TimeSpan.FromMilliseconds(settings.RefreshMs);
        _worker = new Thread(Run) { IsBackground = true, Name = "edgecl-display" };
        _worker.Start();
        _wake.Set(); // the first frame: device id and status before any result
    }

    /// <summary>The simulated chip when the display was opened on the simulated bus; otherwise null.</summary>
    public SimulatedSsd1306? Simulator => _bus as SimulatedSsd1306;

    /// <summary>Frames sent to the display.</summary>
    public int FramesSent { get; private set; }

    /// <summary>Opens the display on <c>/dev/i2c-N</c> (or on a <see cref="SimulatedSsd1306"/> when <paramref name="simulated"/>).</summary>
    /// <exception cref="GpioSetupException">The bus is missing or not permitted, or nothing answers at the address; one line.</exception>
    public static StatusDisplay Open(DisplaySettings settings, string deviceId, bool simulated, ILogger logger)
    {
        var connection = new I2cConnectionSettings(settings.I2cBus, settings.Address);
        I2cDevice bus;
        try
        {
            bus = simulated ? new SimulatedSsd1306(connection, settings.Width, settings.Height) : I2cDevice.Create(connection);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PlatformNotSupportedException or ArgumentException)
        {
            throw new GpioSetupException($"gpio.display: cannot open /dev/i2c-{settings.I2cBus} ({DeviceGpio.OneLine(ex.Message)}); enable I2C (on a Pi: raspi-config, Interface Options) and add the user to the i2c group, or remove gpio.display");
        }
        try
        {
            return new StatusDisplay(bus, settings, deviceId, logger);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            bus.Dispose();
            throw new GpioSetupException($"gpio.display: nothing answers at I2C address 0x{settings.Address:X2} on bus {settings.I2cBus} ({DeviceGpio.OneLine(ex.Message)}); check the wiring and the address (i2cdetect -y {settings.I2cBus}), or remove gpio.display");
        }
    }

    /// <summary>Records the state to show; returns at once (the worker draws it). Allocation-free.</summary>
    public void Show(PanelState state)
    {
        lock (_lock)
        {
            if (_state == state)
                return;
            _state = state;
        }
        _wake.Set();
    }

    /// <summary>Blanks the display, switches it off and stops the worker.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _wake.Set();
        _worker.Join(TimeSpan.FromSeconds(2));
        try
        {
            Array.Clear(_push);
            SetWindow();
            _chip.SendData(_push);
            _chip.EnableDisplay(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The display is gone; nothing to switch off.
        }
        _chip.Dispose();
        _bus.Dispose();
        _wake.Dispose();
    }

    private void Run()
    {
        while (true)
        {
            _wake.WaitOne();
            if (_disposed)
                return;
            PanelState state;
            lock (_lock)
                state = _state;
            if (_shown == state)
                continue;
            Draw(state);
            try
            {
                _frame.Bytes.CopyTo(_push);
                SetWindow();
                _chip.SendData(_push);
                _shown = state;
                FramesSent++;
                if (_failing)
                    GpioLog.DisplayRecovered(_logger);
                _failing = false;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                if (!_failing)
                    GpioLog.DisplayFailed(_logger, DeviceGpio.OneLine(ex.Message));
                _failing = true;
                _wake.Set(); // try again after the refresh pause
            }
            Thread.Sleep(_refresh);
        }
    }

    // The whole panel as the write window, filled left to right then page by page: the layout of MonoFrame.Bytes.
    private void SetWindow()
    {
        _chip.SendCommand(new SetMemoryAddressingMode(SetMemoryAddressingMode.AddressingMode.Horizontal));
        _chip.SendCommand(new SetColumnAddress(0, (byte)(_frame.Width - 1)));
        _chip.SendCommand(new SetPageAddress(PageAddress.Page0, (PageAddress)(_frame.Rows - 1)));
    }

    // Four lines: the device, the last label, its score, the status flags. 32-pixel panels use rows 0..3; taller ones space them out.
    private void Draw(PanelState state)
    {
        int step = Math.Max(1, _frame.Rows / 4);
        _frame.Clear();
        _frame.WriteRow(0, Compose(_deviceId, null), inverted: true);
        string? label = state.Outcome switch
        {
            AgentOutcome.Unknown => "unknown",
            AgentOutcome.Learned => "taught",
            _ => null,
        };
        if (state.Outcome is not null)
            _frame.WriteRow(step, label is null ? Compose(state.Label, null) : Compose(label, state.Label));
        if (!float.IsNaN(state.Score))
        {
            int n = Put(0, "score ");
            state.Score.TryFormat(_line.AsSpan(n), out int written, "F2", CultureInfo.InvariantCulture);
            _frame.WriteRow(2 * step, _line.AsSpan(0, n + written));
        }
        int f = 0;
        f = state.Error ? Put(f, "ERROR ") : f;
        f = state.Learning ? Put(f, "teach ") : f;
        f = state.Adapting ? Put(f, "adapt ") : f;
        f = Put(f, state.Synced ? "synced" : "-");
        _frame.WriteRow(3 * step, _line.AsSpan(0, f));
    }

    private ReadOnlySpan<char> Compose(string? first, string? second)
    {
        int n = Put(0, first ?? "");
        if (second is not null)
            n = Put(Put(n, " "), second);
        return _line.AsSpan(0, n);
    }

    private int Put(int at, string text)
    {
        int count = Math.Clamp(_line.Length - at, 0, text.Length);
        text.AsSpan(0, count).CopyTo(_line.AsSpan(at));
        return at + count;
    }
}
