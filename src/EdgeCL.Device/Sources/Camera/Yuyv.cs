namespace EdgeCL.Device.Sources.Camera;

/// <summary>YUYV (YUV 4:2:2, two pixels in four bytes: Y0 U Y1 V) to grey or RGB.</summary>
public static class Yuyv
{
    /// <summary>Converts <paramref name="yuyv"/> into <paramref name="output"/>: the Y plane for 1 channel, BT.601 studio-swing RGB for 3.</summary>
    /// <param name="yuyv">Two bytes per pixel.</param>
    /// <param name="output">Pixels × <paramref name="channels"/> bytes.</param>
    /// <param name="channels">1 or 3.</param>
    public static void Convert(ReadOnlySpan<byte> yuyv, Span<byte> output, int channels)
    {
        if (yuyv.Length % 4 != 0)
            throw new ArgumentException($"A YUYV frame holds pixel pairs in 4 bytes; {yuyv.Length} bytes is not a whole number of pairs.");
        int pixels = yuyv.Length / 2;
        if (channels is not (1 or 3) || output.Length != pixels * channels)
            throw new ArgumentException($"YUYV of {pixels} pixels needs {pixels * channels} output bytes for {channels} channel(s), got {output.Length}.");
        if (channels == 1)
        {
            for (int pixel = 0; pixel < pixels; pixel++)
                output[pixel] = yuyv[2 * pixel];
            return;
        }
        // Pair by pair: the two pixels of a pair share U and V, so their chroma terms are computed once.
        for (int at = 0, o = 0; at + 3 < yuyv.Length; at += 4, o += 6)
        {
            int c0 = 298 * (yuyv[at] - 16) + 128, c1 = 298 * (yuyv[at + 2] - 16) + 128;
            int u = yuyv[at + 1] - 128, v = yuyv[at + 3] - 128;
            int red = 409 * v, green = -100 * u - 208 * v, blue = 516 * u;
            Span<byte> two = output.Slice(o, 6);
            two[5] = Clamp((c1 + blue) >> 8);
            two[0] = Clamp((c0 + red) >> 8);
            two[1] = Clamp((c0 + green) >> 8);
            two[2] = Clamp((c0 + blue) >> 8);
            two[3] = Clamp((c1 + red) >> 8);
            two[4] = Clamp((c1 + green) >> 8);
        }
    }

    private static byte Clamp(int value) => (byte)Math.Clamp(value, 0, 255);
}
