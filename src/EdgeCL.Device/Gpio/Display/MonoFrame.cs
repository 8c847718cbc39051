namespace EdgeCL.Device.Gpio.Display;

/// <summary>A 1-bit frame in the SSD1306's own memory layout: one byte per column per 8-row page, pages top to bottom.</summary>
/// <remarks>Text is drawn in 6×8 cells (a <see cref="Font5x7"/> glyph and a blank column), so a text row is exactly one page
/// and drawing is a copy of glyph bytes: no per-pixel work, no allocation.</remarks>
public sealed class MonoFrame
{
    private readonly byte[] _pages;

    /// <summary>A blank frame.</summary>
    /// <param name="width">Pixels across (the display's columns).</param>
    /// <param name="height">Pixels down; a multiple of 8.</param>
    public MonoFrame(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, CellWidth);
        if (height < 8 || height % 8 != 0)
            throw new ArgumentOutOfRangeException(nameof(height), height, "the height must be a positive multiple of 8");
        Width = width;
        Height = height;
        _pages = new byte[width * height / 8];
    }

    /// <summary>Pixel width of a character cell.</summary>
    public const int CellWidth = Font5x7.Width + 1;

    /// <summary>Pixels across.</summary>
    public int Width { get; }

    /// <summary>Pixels down.</summary>
    public int Height { get; }

    /// <summary>Text rows (pages).</summary>
    public int Rows => Height / 8;

    /// <summary>Characters per row.</summary>
    public int Columns => Width / CellWidth;

    /// <summary>The frame as the display's RAM holds it (horizontal addressing: page 0 columns 0..W-1, then page 1, ...).</summary>
    public ReadOnlySpan<byte> Bytes => _pages;

    /// <summary>Whether the pixel at (<paramref name="x"/>, <paramref name="y"/>) is lit.</summary>
    public bool this[int x, int y] => (_pages[(y / 8) * Width + x] & (1 << (y % 8))) != 0;

    /// <summary>Blanks the frame.</summary>
    public void Clear() => Array.Clear(_pages);

    /// <summary>Writes <paramref name="text"/> on text row <paramref name="row"/> from its first column, cut at the edge; the rest of the row is blanked.</summary>
    /// <param name="row">0-based text row.</param>
    /// <param name="text">The characters; those outside printable ASCII show as '?'.</param>
    /// <param name="inverted">Light background, dark text (a highlighted line).</param>
    public void WriteRow(int row, ReadOnlySpan<char> text, bool inverted = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Rows);
        Span<byte> page = _pages.AsSpan(row * Width, Width);
        page.Fill(inverted ? (byte)0xFF : (byte)0);
        int count = Math.Min(text.Length, Columns);
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> glyph = Font5x7.Glyph(text[i]);
            Span<byte> cell = page.Slice(i * CellWidth, Font5x7.Width);
            for (int x = 0; x < glyph.Length; x++)
                cell[x] = inverted ? (byte)~glyph[x] : glyph[x];
        }
    }
}
