using System.Device.Spi;

namespace EdgeCL.Device.Gpio.Pixel;

/// <summary>A WS2812B strip on a simulated SPI bus: decodes the bit stream a driver writes, as the LEDs do, into colours
/// (<c>gpio.driver: "simulated"</c> on a laptop, and the tests).</summary>
/// <remarks>At 2.4 MHz each LED bit is three SPI bits, <c>110</c> for a 1 and <c>100</c> for a 0, most significant bit
/// first, 24 bits per LED in green, red, blue order; a run of zero bits latches the colours.</remarks>
public sealed class SimulatedWs2812 : SpiDevice
{
    private readonly Lock _lock = new();
    private (byte R, byte G, byte B)[] _leds;

    /// <summary>A strip of <paramref name="count"/> LEDs at <paramref name="settings"/>.</summary>
    public SimulatedWs2812(SpiConnectionSettings settings, int count)
    {
        ConnectionSettings = settings;
        _leds = new (byte, byte, byte)[count];
    }

    /// <inheritdoc/>
    public override SpiConnectionSettings ConnectionSettings { get; }

    /// <summary>Frames latched.</summary>
    public int Writes { get; private set; }

    /// <summary>The colour LED <paramref name="index"/> shows.</summary>
    public (byte R, byte G, byte B) this[int index]
    {
        get
        {
            lock (_lock)
                return _leds[index];
        }
    }

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var bits = new List<int>(buffer.Length * 8 / 3);
        int bitIndex = 0, total = buffer.Length * 8;
        while (bitIndex + 3 <= total)
        {
            int symbol = (Bit(buffer, bitIndex) << 2) | (Bit(buffer, bitIndex + 1) << 1) | Bit(buffer, bitIndex + 2);
            bitIndex += 3;
            if (symbol == 0)
                break; // the reset: the frame is latched
            if (symbol is not (0b110 or 0b100))
                throw new IOException($"WS2812: SPI symbol {Convert.ToString(symbol, 2).PadLeft(3, '0')} at bit {bitIndex - 3} is neither 110 (one) nor 100 (zero)");
            bits.Add(symbol == 0b110 ? 1 : 0);
        }
        if (bits.Count % 24 != 0)
            throw new IOException($"WS2812: {bits.Count} data bits is not a whole number of 24-bit LEDs");
        lock (_lock)
        {
            int count = Math.Min(_leds.Length, bits.Count / 24);
            for (int led = 0; led < count; led++)
            {
                byte g = Byte(bits, led * 24), r = Byte(bits, led * 24 + 8), b = Byte(bits, led * 24 + 16);
                _leds[led] = (r, g, b);
            }
            Writes++;
        }
    }

    /// <inheritdoc/>
    public override void WriteByte(byte value) => Write([value]);

    /// <inheritdoc/>
    public override byte ReadByte() => 0;

    /// <inheritdoc/>
    public override void Read(Span<byte> buffer) => buffer.Clear();

    /// <inheritdoc/>
    public override void TransferFullDuplex(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        Write(writeBuffer);
        readBuffer.Clear();
    }

    private static int Bit(ReadOnlySpan<byte> buffer, int index) => (buffer[index / 8] >> (7 - index % 8)) & 1;

    private static byte Byte(List<int> bits, int from)
    {
        int value = 0;
        for (int i = 0; i < 8; i++)
            value = (value << 1) | bits[from + i];
        return (byte)value;
    }
}
