using System.Device.Gpio;
using EdgeCL.Device.Config;
using EdgeCL.Device.Gpio;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeCL.Device.Tests.Gpio;

public sealed class DeviceGpioTests
{
    private const int Button = 17;
    private readonly ManualTimeProvider _time = new();

    private static GpioSettings Settings(bool ledsActiveLow = false, bool buttonActiveLow = true) => new()
    {
        Driver = "simulated",
        TeachButton = new ButtonSettings { Pin = Button, ActiveLow = buttonActiveLow, DebounceMs = 30, HoldMs = 500 },
        Leds = new LedSettings { Learning = 22, Adapting = 23, Synced = 24, Error = 27, ActiveLow = ledsActiveLow },
    };

    private (DeviceGpio Gpio, SimulatedGpioDriver Sim, List<TeachButtonEventArgs> Held) Open(GpioSettings? settings = null)
    {
        DeviceGpio gpio = DeviceGpio.Open(settings ?? Settings(), NullLoggerFactory.Instance, _time);
        var held = new List<TeachButtonEventArgs>();
        gpio.TeachHeld += (_, e) => held.Add(e);
        return (gpio, gpio.Simulator!, held);
    }

    private void Press(SimulatedGpioDriver sim) => sim.SetInput(Button, PinValue.Low);

    private void Release(SimulatedGpioDriver sim) => sim.SetInput(Button, PinValue.High);

    [Fact]
    public void Open_Simulated_ButtonIsPulledUpInput()
    {
        (DeviceGpio gpio, SimulatedGpioDriver sim, _) = Open();
        using (gpio)
        {
            Assert.Equal("simulated", gpio.DriverName);
            Assert.Equal(PinMode.InputPullUp, sim.GetOpenMode(Button));
            Assert.Equal(PinMode.Output, sim.GetOpenMode(22));
        }
    }

    [Fact]
    public void TeachButton_BounceWithinDebounce_CountsOnePress()
    {
        (DeviceGpio gpio, SimulatedGpioDriver sim, List<TeachButtonEventArgs> held) = Open();
        using (gpio)
        {
            // A contact bouncing for 8 ms on the way down, then held.
            foreach (PinValue level in new[] { PinValue.Low, PinValue.High, PinValue.Low, PinValue.High, PinValue.Low })
            {
                sim.SetInput(Button, level);
                _time.AdvanceMs(2);
            }
            _time.AdvanceMs(600);
            Assert.Single(held);

            // Bouncing on the way up, then released: no second press.
            foreach (PinValue level in new[] { PinValue.High, PinValue.Low, PinValue.High, PinValue.Low, PinValue.High })
            {
                sim.SetInput(Button, level);
                _time.AdvanceMs(2);
            }
            _time.AdvanceMs(2000);
            Assert.Single(held);

            // The next real press counts again.
            Press(sim);
            _time.AdvanceMs(600);
            Assert.Equal(2, held.Count);
        }
    }

    [Fact]
    public void TeachButton_ShortPress_DoesNotRaise()
    {
        (DeviceGpio gpio, SimulatedGpioDriver sim, List<TeachButtonEventArgs> held) = Open();
        using (gpio)
        {
            Press(sim);
            _time.AdvanceMs(200);
            Release(sim);
            _time.AdvanceMs(2000);
            Assert.Empty(held);
        }
    }

    [Fact]
    public void TeachButton_LongHold_RaisesOnceWhenHoldIsReached()
    {
        (DeviceGpio gpio, SimulatedGpioDriver sim, List<TeachButtonEventArgs> held) = Open();
        using (gpio)
        {
            Press(sim);
            _time.AdvanceMs(499);
            Assert.Empty(held);
            _time.AdvanceMs(1);
            TeachButtonEventArgs e = Assert.Single(held); // raised while still held, not at release
            Assert.Equal(Button, e.Pin);
            Assert.Equal(TimeSpan.FromMilliseconds(500), e.HeldFor);
            _time.AdvanceMs(5000);
            Release(sim);
            _time.AdvanceMs(1000);
            Assert.Single(held);
        }
    }

    [Fact]
    public void TeachButton_HeldOnToNotThis_RaisesNotThisOnceAndOnlyThen()
    {
        (DeviceGpio gpio, SimulatedGpioDriver sim, List<TeachButtonEventArgs> held) = Open();
        var notThis = new List<TeachButtonEventArgs>();
        gpio.NotThisHeld += (_, e) => notThis.Add(e);
        using (gpio)
        {
            // Released between the teach hold and the "not this" hold: teach only.
            Press(sim);
            _time.AdvanceMs(1500);
            Release(sim);
            _time.AdvanceMs(5000);
            Assert.Single(held);
            Assert.Empty(notThis);
            // Held on to 3 s: teach at 0.5 s, then "not this" at 3 s, once.
            Press(sim);
            _time.AdvanceMs(2999);
            Assert.Equal(2, held.Count);
            Assert.Empty(notThis);
            _time.AdvanceMs(1);
            Assert.Equal(TimeSpan.FromMilliseconds(3000), Assert.Single(notThis).HeldFor);
            _time.AdvanceMs(10_000);
            Release(sim);
            _time.AdvanceMs(1000);
            Assert.Single(notThis);
            Assert.Equal(2, held.Count);
        }
    }

    [Fact]
    public void TeachButton_ReleaseInsideBounceWindow_IsSeenWhenWindowCloses()
    {
        (DeviceGpio gpio, SimulatedGpioDriver sim, List<TeachButtonEventArgs> held) = Open();
        using (gpio)
        {
            Press(sim);
            _time.AdvanceMs(10);
            Release(sim); // inside the 30 ms window: ignored as an edge, caught by the re-read at 30 ms
            _time.AdvanceMs(2000);
            Assert.Empty(held);
        }
    }

    [Fact]
    public void TeachButton_ActiveHigh_PressIsHigh()
    {
        (DeviceGpio gpio, SimulatedGpioDriver sim, List<TeachButtonEventArgs> held) = Open(Settings(buttonActiveLow: false));
        using (gpio)
        {
            Assert.Equal(PinMode.InputPullDown, sim.GetOpenMode(Button));
            sim.SetInput(Button, PinValue.High);
            _time.AdvanceMs(600);
            Assert.Single(held);
        }
    }

    [Fact]
    public void TeachButton_HandlerThrows_LaterPressesStillRaise()
    {
        (DeviceGpio gpio, SimulatedGpioDriver sim, List<TeachButtonEventArgs> held) = Open();
        using (gpio)
        {
            gpio.TeachHeld += (_, _) => throw new InvalidOperationException("handler bug");
            Press(sim);
            _time.AdvanceMs(600);
            Release(sim);
            _time.AdvanceMs(100);
            Press(sim);
            _time.AdvanceMs(600);
            Assert.Equal(2, held.Count);
        }
    }

    [Fact]
    public void SetLed_ActiveHigh_HighWhenOnAndOffAtOpenAndDispose()
    {
        (DeviceGpio gpio, SimulatedGpioDriver sim, _) = Open();
        Assert.Equal(PinValue.Low, sim.ReadOutput(22));
        gpio.SetLed(StatusLed.Learning, true);
        gpio.SetLed(StatusLed.Error, true);
        Assert.Equal(PinValue.High, sim.ReadOutput(22));
        Assert.Equal(PinValue.High, sim.ReadOutput(27));
        Assert.Equal(PinValue.Low, sim.ReadOutput(23));
        gpio.SetLed(StatusLed.Learning, false);
        Assert.Equal(PinValue.Low, sim.ReadOutput(22));
        gpio.Dispose();
        Assert.Equal(PinValue.Low, sim.ReadOutput(27));
        gpio.SetLed(StatusLed.Error, true); // after dispose: ignored
        Assert.Equal(PinValue.Low, sim.ReadOutput(27));
    }

    [Fact]
    public void SetLed_ActiveLow_LowWhenOnAndHighWhenOff()
    {
        (DeviceGpio gpio, SimulatedGpioDriver sim, _) = Open(Settings(ledsActiveLow: true));
        Assert.Equal(PinValue.High, sim.ReadOutput(24));
        gpio.SetLed(StatusLed.Synced, true);
        Assert.Equal(PinValue.Low, sim.ReadOutput(24));
        gpio.Dispose();
        Assert.Equal(PinValue.High, sim.ReadOutput(24));
    }

    [Fact]
    public void SetLed_NotConfigured_DoesNothing()
    {
        using DeviceGpio gpio = DeviceGpio.Open(new GpioSettings { Driver = "simulated", Leds = new LedSettings { Learning = 5 } }, NullLoggerFactory.Instance, _time);
        gpio.SetLed(StatusLed.Error, true);
        Assert.Throws<InvalidOperationException>(() => gpio.Simulator!.ReadOutput(27));
    }

    [Fact]
    public void Open_BusyPin_ThrowsOneLineNamingPinChipAndSetting()
    {
        var sim = new SimulatedGpioDriver();
        sim.MarkBusy(Button);
        GpioSetupException ex = Assert.Throws<GpioSetupException>(() => DeviceGpio.Open(Settings(), NullLoggerFactory.Instance, _time, sim));
        Assert.Equal("GPIO 17 on gpiochip0 is busy (used by another process or a kernel driver); free it or choose another pin in gpio.teach_button.pin", ex.Message);
    }

    [Fact]
    public void Open_BusyLed_ReleasesTheButtonAgain()
    {
        var sim = new SimulatedGpioDriver();
        sim.MarkBusy(27);
        GpioSetupException ex = Assert.Throws<GpioSetupException>(() => DeviceGpio.Open(Settings(), NullLoggerFactory.Instance, _time, sim));
        Assert.Contains("gpio.leds.error", ex.Message, StringComparison.Ordinal);
        Assert.Null(sim.GetOpenMode(Button));
    }

    [Fact]
    public void Open_PinBeyondChip_ThrowsOneLine()
    {
        GpioSettings settings = new() { Driver = "simulated", TeachButton = new ButtonSettings { Pin = 40 } };
        GpioSetupException ex = Assert.Throws<GpioSetupException>(() => DeviceGpio.Open(settings, NullLoggerFactory.Instance, _time));
        Assert.Equal("GPIO 40 does not exist on gpiochip0 (lines 0..27); check gpio.teach_button.pin against device/pins.md", ex.Message);
    }

    [Fact]
    public void Open_PinMissingInsideChip_ThrowsOneLine()
    {
        var sim = new SimulatedGpioDriver(Enumerable.Range(0, 28).Where(p => p != Button));
        GpioSetupException ex = Assert.Throws<GpioSetupException>(() => DeviceGpio.Open(Settings(), NullLoggerFactory.Instance, _time, sim));
        Assert.Equal("GPIO 17 does not exist on gpiochip0; check gpio.teach_button.pin against device/pins.md", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Open_InvalidSettings_ThrowsFirstProblem()
    {
        GpioSetupException ex = Assert.Throws<GpioSetupException>(() => DeviceGpio.Open(new GpioSettings { Driver = "wiringpi" }, NullLoggerFactory.Instance));
        Assert.Equal("gpio.driver 'wiringpi' is unknown; use auto, libgpiod or simulated", ex.Message);
    }

    [Fact]
    public void Open_LibgpiodWithoutChip_ThrowsOneLine()
    {
        if (File.Exists("/dev/gpiochip7"))
            return; // real hardware with that chip: nothing to prove here
        GpioSetupException ex = Assert.Throws<GpioSetupException>(() => DeviceGpio.Open(new GpioSettings { Driver = "libgpiod", Chip = 7 }, NullLoggerFactory.Instance));
        Assert.StartsWith("libgpiod cannot open gpiochip7 (", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Validate_GoodSettings_NoProblems() => Assert.Empty(DeviceGpio.Validate(Settings()));

    [Fact]
    public void Validate_BadSettings_OneLinePerProblem()
    {
        var settings = new GpioSettings
        {
            Driver = "pigpio",
            Chip = -1,
            TeachButton = new ButtonSettings { Pin = 22, DebounceMs = 5000, HoldMs = 10 },
            Leds = new LedSettings { Learning = 22, Error = -3 },
        };
        IReadOnlyList<string> problems = DeviceGpio.Validate(settings);
        Assert.Contains("gpio.driver 'pigpio' is unknown; use auto, libgpiod or simulated", problems);
        Assert.Contains(problems, p => p.StartsWith("gpio.chip is -1", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("gpio.teach_button.debounce_ms is 5000", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("gpio.teach_button.hold_ms is 10", StringComparison.Ordinal));
        Assert.Contains("GPIO 22 is used by both gpio.teach_button.pin and gpio.leds.learning; each needs its own pin", problems);
        Assert.Contains(problems, p => p.StartsWith("gpio.leds.error is -3", StringComparison.Ordinal));
        Assert.Equal(6, problems.Count);
        Assert.All(problems, p => Assert.DoesNotContain('\n', p));
    }

    [Fact]
    public void Validate_HoldNotLongerThanDebounce_IsAProblem()
    {
        var settings = new GpioSettings { TeachButton = new ButtonSettings { Pin = 3, DebounceMs = 100, HoldMs = 100 } };
        Assert.Equal(["gpio.teach_button.hold_ms (100) must be longer than debounce_ms (100)"], DeviceGpio.Validate(settings));
    }
}
