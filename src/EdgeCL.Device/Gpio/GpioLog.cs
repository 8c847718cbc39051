using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Gpio;

/// <summary>Source-generated log messages of the GPIO part of EdgeCL.Device (event ids 100-199).</summary>
internal static partial class GpioLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "GPIO: {Driver} driver on {Chip}; teach button {Button}, LEDs {Leds}")]
    public static partial void Opened(ILogger logger, string driver, string chip, string button, string leds);


    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "GPIO {Pin}: the driver has no internal {Pull}; the button needs an external resistor")]
    public static partial void NoInternalPull(ILogger logger, int pin, string pull);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Teach button on GPIO {Pin} held {HeldMs} ms")]
    public static partial void TeachHeld(ILogger logger, int pin, long heldMs);

    [LoggerMessage(EventId = 104, Level = LogLevel.Error, Message = "A TeachHeld handler threw")]
    public static partial void HandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 105, Level = LogLevel.Warning, Message = "GPIO {Pin}: {What} failed: {Reason}")]
    public static partial void PinFailed(ILogger logger, int pin, string what, string reason);

    [LoggerMessage(EventId = 106, Level = LogLevel.Information, Message = "Teach button on GPIO {Pin} was already pressed at start; waiting for a release")]
    public static partial void PressedAtStart(ILogger logger, int pin);

    [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "teach button on line {Pin} held {HeldMs} ms: not this (false alarm)")]
    public static partial void NotThisHeld(ILogger logger, int pin, long heldMs);
}
