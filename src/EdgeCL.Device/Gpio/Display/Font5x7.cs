namespace EdgeCL.Device.Gpio.Display;

/// <summary>X11's public-domain 5×7 font for printable ASCII, in the SSD1306's column layout (bit 0 = top row).</summary>
/// <remarks>Built in, so a device needs no font file and the binary no image library; <c>ops/fonts/make_font5x7.py</c> writes the table.</remarks>
internal static partial class Font5x7
{
    /// <summary>Glyph width in pixels; a character cell is one more (a blank column) and 8 rows high (one display page).</summary>
    public const int Width = 5;

    /// <summary>The 5 column bytes of <paramref name="c"/>; characters outside printable ASCII draw as '?'.</summary>
    public static ReadOnlySpan<byte> Glyph(char c) => Glyphs.Slice((c is >= ' ' and <= '~' ? c - ' ' : '?' - ' ') * Width, Width);
}
