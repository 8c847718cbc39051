using System.Device.I2c;

namespace EdgeCL.Device.Gpio.Display;

/// <summary>An SSD1306 on a simulated I2C bus: it interprets the command and data bytes a driver writes, as the chip
/// does, into its display RAM (<c>gpio.driver: "simulated"</c> on a laptop, and the tests).</summary>
/// <remarks>Like a real module it answers only at 0x3C or 0x3D; a write to another address fails as an unanswered one does.
/// Each I2C write starts with a control byte: 0x00 = commands follow, 0x40 = display data follows. Commands
/// handled: display on/off, memory addressing mode (horizontal, vertical, page), column and page address windows, page-mode
/// start page and column; the other commands' argument bytes are skipped by their documented lengths.</remarks>
public sealed class SimulatedSsd1306 : I2cDevice
{
    private readonly Lock _lock = new();
    private readonly byte[] _ram;
    private readonly List<byte> _pendingCommand = [];
    private int _mode = 2; // the chip's reset state: page addressing
    private int _colStart, _colEnd, _pageStart, _pageEnd, _col, _page;

    /// <summary>A display of <paramref name="width"/> × <paramref name="height"/> pixels at <paramref name="settings"/>.</summary>
    public SimulatedSsd1306(I2cConnectionSettings settings, int width, int height)
    {
        ConnectionSettings = settings;
        Width = width;
        Height = height;
        _ram = new byte[width * height / 8];
        _colEnd = width - 1;
        _pageEnd = height / 8 - 1;
    }

    /// <inheritdoc/>
    public override I2cConnectionSettings ConnectionSettings { get; }

    /// <summary>Pixels across.</summary>
    public int Width { get; }

    /// <summary>Pixels down.</summary>
    public int Height { get; }

    /// <summary>True after the display-on command (0xAF), false after display-off (0xAE).</summary>
    public bool DisplayOn { get; private set; }

    /// <summary>Display data writes received (frames pushed, in pieces).</summary>
    public int DataWrites { get; private set; }

    /// <summary>A copy of the display RAM, in <see cref="MonoFrame.Bytes"/> layout.</summary>
    public byte[] Ram()
    {
        lock (_lock)
            return (byte[])_ram.Clone();
    }

    /// <summary>The text row <paramref name="row"/> read back glyph by glyph ('?' for a cell that is no glyph), trailing blanks removed.</summary>
    public string ReadRow(int row)
    {
        byte[] ram = Ram();
        var text = new char[Width / MonoFrame.CellWidth];
        for (int i = 0; i < text.Length; i++)
        {
            ReadOnlySpan<byte> cell = ram.AsSpan(row * Width + i * MonoFrame.CellWidth, Font5x7.Width);
            text[i] = '?';
            for (char c = ' '; c <= '~'; c++)
            {
                if (cell.SequenceEqual(Font5x7.Glyph(c)))
                {
                    text[i] = c;
                    break;
                }
            }
        }
        return new string(text).TrimEnd();
    }

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (ConnectionSettings.DeviceAddress is not (0x3C or 0x3D))
            throw new IOException($"Error 121 performing I2C data transfer: no device acknowledged address 0x{ConnectionSettings.DeviceAddress:X2}"); // as Linux reports a NAK (EREMOTEIO)
        if (buffer.Length < 2)
            throw new IOException("SSD1306: a write needs a control byte and at least one byte after it");
        lock (_lock)
        {
            switch (buffer[0])
            {
                case 0x00:
                    foreach (byte b in buffer[1..])
                        Command(b);
                    break;
                case 0x40:
                    DataWrites++;
                    foreach (byte b in buffer[1..])
                        Data(b);
                    break;
                default:
                    throw new IOException($"SSD1306: control byte 0x{buffer[0]:X2} is neither 0x00 (commands) nor 0x40 (data)");
            }
        }
    }

    /// <inheritdoc/>
    public override void WriteByte(byte value) => throw new IOException("SSD1306: a single byte carries no control byte");

    /// <inheritdoc/>
    public override byte ReadByte() => 0x43; // status: display on, the SSD1306 id bits

    /// <inheritdoc/>
    public override void Read(Span<byte> buffer) => buffer.Fill(ReadByte());

    /// <inheritdoc/>
    public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        Write(writeBuffer);
        Read(readBuffer);
    }

    private void Command(byte b)
    {
        _pendingCommand.Add(b);
        byte op = _pendingCommand[0];
        if (_pendingCommand.Count <= ArgumentCount(op))
            return;
        switch (op)
        {
            case 0xAE: DisplayOn = false; break;
            case 0xAF: DisplayOn = true; break;
            case 0x20: _mode = _pendingCommand[1] & 3; break;
            case 0x21:
                _colStart = _col = _pendingCommand[1] % Width;
                _colEnd = _pendingCommand[2] % Width;
                break;
            case 0x22:
                _pageStart = _page = _pendingCommand[1] % (Height / 8);
                _pageEnd = _pendingCommand[2] % (Height / 8);
                break;
            case >= 0xB0 and <= 0xB7: _page = (op & 7) % (Height / 8); break;
            case <= 0x0F: _col = ((_col & 0xF0) | op) % Width; break;
            case >= 0x10 and <= 0x1F: _col = ((_col & 0x0F) | ((op & 0x0F) << 4)) % Width; break;
        }
        _pendingCommand.Clear();
    }

    // Argument bytes per command, from the SSD1306 datasheet's command table.
    private static int ArgumentCount(byte op) => op switch
    {
        0x20 or 0x81 or 0x8D or 0xA8 or 0xD3 or 0xD5 or 0xD9 or 0xDA or 0xDB => 1,
        0x21 or 0x22 or 0xA3 => 2,
        0x29 or 0x2A => 5,
        0x26 or 0x27 => 6,
        _ => 0,
    };

    private void Data(byte b)
    {
        _ram[_page * Width + _col] = b;
        switch (_mode)
        {
            case 0: // horizontal: along the column window, then the next page
                if (++_col > _colEnd)
                {
                    _col = _colStart;
                    _page = _page >= _pageEnd ? _pageStart : _page + 1;
                }
                break;
            case 1: // vertical: down the page window, then the next column
                if (++_page > _pageEnd)
                {
                    _page = _pageStart;
                    _col = _col >= _colEnd ? _colStart : _col + 1;
                }
                break;
            default: // page: along the page, wrapping within it
                _col = (_col + 1) % Width;
                break;
        }
    }
}
