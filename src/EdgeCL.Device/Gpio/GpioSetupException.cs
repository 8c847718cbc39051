namespace EdgeCL.Device.Gpio;

/// <summary>GPIO could not be set up (driver missing, pin missing or busy, no permission); the message is one line that says what to do.</summary>
/// <remarks>The agent logs it and runs without GPIO: teaching still works through files and commands.</remarks>
public sealed class GpioSetupException(string message, Exception? inner = null) : Exception(message, inner);
