using System.Device.Gpio;

namespace EdgeCL.Device.Gpio;

/// <summary>The teach button: debounce by timestamps, the teach hold and the longer "not this" hold, on timer threads.</summary>
public sealed partial class DeviceGpio
{
    private void OnEdge(object sender, PinValueChangedEventArgs e)
    {
        lock (_lock)
        {
            if (_disposed)
                return;
            long now = _time.GetTimestamp();
            if (now < _lockoutUntil)
                return; // bounce; the settle timer re-reads the pin when the window closes
            Accept(IsPressed(e.ChangeType == PinEventTypes.Rising ? PinValue.High : PinValue.Low), now);
        }
    }

    private void OnSettleTimer()
    {
        lock (_lock)
        {
            if (_disposed || _button is null)
                return;
            PinValue level;
            try
            {
                level = _controller.Read(_button.Pin);
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException)
            {
                GpioLog.PinFailed(_logger, _button.Pin, "reading the teach button", OneLine(ex.Message));
                return;
            }
            Accept(IsPressed(level), _time.GetTimestamp());
        }
    }

    // Called under _lock with a debounced level.
    private void Accept(bool pressed, long now)
    {
        if (pressed == _pressed)
            return;
        _pressed = pressed;
        _lockoutUntil = now + _debounceTicks;
        _settleTimer!.Change(TimeSpan.FromMilliseconds(_button!.DebounceMs), Timeout.InfiniteTimeSpan);
        _pressId++;
        if (pressed)
        {
            _pressedAt = now;
            _teachFired = false;
            _holdTimer!.Change(TimeSpan.FromMilliseconds(_button.HoldMs), Timeout.InfiniteTimeSpan);
        }
        else
        {
            _holdTimer!.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnHoldTimer()
    {
        TimeSpan held;
        bool notThis;
        lock (_lock)
        {
            if (_disposed || !_pressed)
                return;
            held = _time.GetElapsedTime(_pressedAt);
            notThis = _teachFired;
            // A timer that fired early (coarse clocks) is re-armed for the rest of the hold.
            TimeSpan hold = TimeSpan.FromMilliseconds(notThis ? _button!.NotThisMs : _button!.HoldMs);
            if (held < hold)
            {
                _holdTimer!.Change(hold - held, Timeout.InfiniteTimeSpan);
                return;
            }
            _teachFired = true;
            // After the teach hold, wait on for the "not this" hold (if enabled).
            if (!notThis && _button.NotThisMs > 0)
                _holdTimer!.Change(TimeSpan.FromMilliseconds(_button.NotThisMs) - held, Timeout.InfiniteTimeSpan);
        }
        if (notThis)
            GpioLog.NotThisHeld(_logger, _button.Pin, (long)held.TotalMilliseconds);
        else
            GpioLog.TeachHeld(_logger, _button.Pin, (long)held.TotalMilliseconds);
        try
        {
            (notThis ? NotThisHeld : TeachHeld)?.Invoke(this, new TeachButtonEventArgs(_button.Pin, held));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            GpioLog.HandlerFailed(_logger, ex);
        }
    }

    private bool IsPressed(PinValue level) => (level == PinValue.Low) == _button!.ActiveLow;
}
