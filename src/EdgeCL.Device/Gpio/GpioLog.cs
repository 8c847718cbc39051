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

    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "status display: a frame could not be sent: {Reason}; retrying (the agent goes on)")]
    public static partial void DisplayFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 112, Level = LogLevel.Information, Message = "status display: frames are reaching the display again")]
    public static partial void DisplayRecovered(ILogger logger);

    [LoggerMessage(EventId = 113, Level = LogLevel.Warning, Message = "status pixel: the colour could not be sent: {Reason}; retrying at the next change (the agent goes on)")]
    public static partial void PixelFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 114, Level = LogLevel.Warning, Message = "{Reason}; running without it")]
    public static partial void PartUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 115, Level = LogLevel.Information, Message = "status display: SSD1306 {Width}x{Height} on I2C bus {Bus} at 0x{Address:X2}")]
    public static partial void DisplayOpened(ILogger logger, int width, int height, int bus, int address);

    [LoggerMessage(EventId = 116, Level = LogLevel.Information, Message = "status pixel: {Type} x{Count} on SPI {Bus}.{ChipSelect}")]
    public static partial void PixelOpened(ILogger logger, string type, int count, int bus, int chipSelect);
}
