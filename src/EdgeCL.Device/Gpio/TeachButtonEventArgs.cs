namespace EdgeCL.Device.Gpio;

/// <summary>The teach button has been held for the configured hold time.</summary>
/// <param name="pin">The button's line number.</param>
/// <param name="heldFor">How long it had been held when the event was raised (the configured hold time, give or take a timer tick).</param>
public sealed class TeachButtonEventArgs(int pin, TimeSpan heldFor) : EventArgs
{
    /// <summary>The button's line number.</summary>
    public int Pin { get; } = pin;

    /// <summary>How long the button had been held when the event was raised.</summary>
    public TimeSpan HeldFor { get; } = heldFor;
}
