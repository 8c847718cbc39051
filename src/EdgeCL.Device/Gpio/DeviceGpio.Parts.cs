using EdgeCL.Device.Config;

namespace EdgeCL.Device.Gpio;

public sealed partial class DeviceGpio
{
    // The status display and pixel sit on I2C and SPI, not on GPIO lines, but share the gpio section and its --check.
    private static void ValidateParts(GpioSettings settings, List<string> problems)
    {
        if (settings.Display is { } d)
        {
            if (!string.Equals(d.Type, "ssd1306", StringComparison.OrdinalIgnoreCase))
                problems.Add($"gpio.display.type '{d.Type}' is unknown; use ssd1306 (the only display built in)");
            if (d.I2cBus is < 0 or > 255)
                problems.Add($"gpio.display.i2c_bus is {d.I2cBus}; use the N of /dev/i2c-N (1 on a Pi's header)");
            if (d.Address is 0x78 or 0x7A)
                problems.Add($"gpio.display.address is {d.Address} (0x{d.Address:X2}), the 8-bit form printed on many modules; use {d.Address / 2} (0x{d.Address / 2:X2})");
            else if (d.Address is not (0x3C or 0x3D))
                problems.Add($"gpio.display.address is {d.Address}; an SSD1306 answers at 60 (0x3C) or, with its address jumper moved, 61 (0x3D)");
            if (d.Width is not (128 or 96 or 64))
                problems.Add($"gpio.display.width is {d.Width}; use 128, 96 or 64 (the SSD1306 panel sizes)");
            if (d.Height is not (64 or 32 or 16))
                problems.Add($"gpio.display.height is {d.Height}; use 64, 32 or 16 (the SSD1306 panel sizes)");
            if (d.RefreshMs is < 50 or > 60_000)
                problems.Add($"gpio.display.refresh_ms is {d.RefreshMs}; use 50..60000 (250 keeps the bus mostly idle)");
        }
        if (settings.StatusPixel is { } p)
        {
            if (!string.Equals(p.Type, "ws2812b", StringComparison.OrdinalIgnoreCase))
                problems.Add($"gpio.status_pixel.type '{p.Type}' is unknown; use ws2812b (WS2812B/NeoPixel LEDs)");
            if (p.SpiBus is < 0 or > 255 || p.ChipSelect is < 0 or > 255)
                problems.Add($"gpio.status_pixel spi_bus {p.SpiBus} / chip_select {p.ChipSelect} name no /dev/spidevB.C; use 0 and 0 for a Pi's MOSI (pin 19)");
            if (p.Count is < 1 or > 64)
                problems.Add($"gpio.status_pixel.count is {p.Count}; use 1..64");
            if (!(p.Brightness is > 0 and <= 1))
                problems.Add($"gpio.status_pixel.brightness is {p.Brightness}; use a number above 0 and at most 1 (0.2 suits a desk)");
        }
    }
}
