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
        for (int pixel = 0; pixel < pixels; pixel++)
        {
            int pair = pixel & ~1;
            int u = yuyv[2 * pair + 1] - 128, v = yuyv[2 * pair + 3] - 128, c = yuyv[2 * pixel] - 16;
            output[3 * pixel] = Clamp((298 * c + 409 * v + 128) >> 8);
            output[3 * pixel + 1] = Clamp((298 * c - 100 * u - 208 * v + 128) >> 8);
            output[3 * pixel + 2] = Clamp((298 * c + 516 * u + 128) >> 8);
        }
    }

    private static byte Clamp(int value) => (byte)Math.Clamp(value, 0, 255);
}
