using System.Globalization;
using EdgeCL.Onnx.Errors;

namespace EdgeCL.Onnx.Images;

/// <summary>Netpbm decoder: P2/P5 (grey) and P3/P6 (RGB), maxval up to 65535 (scaled to 8 bits).</summary>
internal static class PnmDecoder
{
    public static DecodedImage Decode(byte[] bytes, string displayName)
    {
        int pos = 2;
        char kind = (char)bytes[1];
        if (kind is '1' or '4')
            throw new InputFormatException($"Image '{displayName}' is a 1-bit PBM; convert it to PGM or PNG.");
        int width = ReadHeaderInt(bytes, ref pos, displayName);
        int height = ReadHeaderInt(bytes, ref pos, displayName);
        int maxValue = ReadHeaderInt(bytes, ref pos, displayName);
        if (width <= 0 || height <= 0 || maxValue is <= 0 or > 65535)
            throw new InputFormatException($"Image '{displayName}' has an invalid PNM header ({width}x{height}, max {maxValue}); re-export it.");
        ImageDecoder.EnsureSizeAllowed(width, height, displayName);
        int channels = kind is '2' or '5' ? 1 : 3;
        int count = width * height * channels;
        if (kind is '2' or '3' && bytes.Length - pos < count)
            throw new InputFormatException($"Image '{displayName}' is truncated: {width}x{height} needs {count} values, the file has {Math.Max(0, bytes.Length - pos)} bytes left.");
        if (kind is '5' or '6')
        {
            pos++; // exactly one whitespace byte after maxval
            int bytesPerValue = maxValue < 256 ? 1 : 2;
            if ((long)bytes.Length - pos < (long)count * bytesPerValue)
                throw new InputFormatException($"Image '{displayName}' is truncated: {width}x{height} needs {count * bytesPerValue} pixel bytes, file has {Math.Max(0, bytes.Length - pos)}.");
            var pixels = new byte[count];
            for (int i = 0; i < count; i++)
            {
                int v = bytesPerValue == 1 ? bytes[pos + i] : (bytes[pos + 2 * i] << 8) | bytes[pos + 2 * i + 1];
                pixels[i] = Scale(v, maxValue);
            }
            return new DecodedImage(width, height, channels, pixels);
        }
        var values = new byte[count];
        for (int i = 0; i < count; i++)
            values[i] = Scale(ReadHeaderInt(bytes, ref pos, displayName), maxValue);
        return new DecodedImage(width, height, channels, values);
    }

    private static byte Scale(int v, int maxValue) =>
        (byte)Math.Clamp(maxValue == 255 ? v : (int)Math.Round(v * 255.0 / maxValue), 0, 255);

    private static int ReadHeaderInt(byte[] b, ref int pos, string displayName)
    {
        while (pos < b.Length)
        {
            if (b[pos] == '#')
                while (pos < b.Length && b[pos] != '\n') pos++;
            else if (b[pos] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
                pos++;
            else
                break;
        }
        int start = pos;
        while (pos < b.Length && b[pos] is >= (byte)'0' and <= (byte)'9' && pos - start < 9)
            pos++;
        if (pos == start)
            throw new InputFormatException($"Image '{displayName}' has a malformed or truncated PNM header.");
        return int.Parse(b.AsSpan(start, pos - start), NumberStyles.None, CultureInfo.InvariantCulture);
    }
}
