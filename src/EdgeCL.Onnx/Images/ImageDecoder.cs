using EdgeCL.Onnx.Errors;
using StbImageSharp;

namespace EdgeCL.Onnx.Images;

/// <summary>Decodes PNG, JPEG, BMP, TGA, GIF (first frame) via StbImageSharp, and binary/ASCII PGM/PPM natively.</summary>
public static class ImageDecoder
{
    /// <summary>Largest accepted side, guarding memory against forged headers.</summary>
    public const int MaxSide = 16384;

    /// <summary>File extensions this decoder accepts.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".png", ".jpg", ".jpeg", ".bmp", ".tga", ".gif", ".pgm", ".ppm", ".pnm"];

    /// <summary>Reads and decodes an image file into grey (<paramref name="channels"/> = 1) or RGB (3).</summary>
    /// <exception cref="InputFormatException">The file is missing, unreadable or not a supported image.</exception>
    public static DecodedImage DecodeFile(string path, int channels)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InputFormatException($"Image '{path}' cannot be read ({ex.Message}); check the path and permissions.", ex);
        }
        return Decode(bytes, channels, path);
    }

    /// <summary>Decodes image bytes into grey (1) or RGB (3).</summary>
    /// <exception cref="InputFormatException">Not a supported or valid image.</exception>
    public static DecodedImage Decode(byte[] bytes, int channels, string displayName)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (channels is not (1 or 3))
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "Channels must be 1 or 3.");
        if (bytes.Length == 0)
            throw new InputFormatException($"Image '{displayName}' is empty; re-capture or re-export it.");
        DecodedImage image = bytes[0] == (byte)'P' && bytes.Length > 1 && bytes[1] is >= (byte)'1' and <= (byte)'6'
            ? PnmDecoder.Decode(bytes, displayName)
            : DecodeWithStb(bytes, displayName);
        return ConvertChannels(image, channels);
    }

    private static DecodedImage DecodeWithStb(byte[] bytes, string displayName)
    {
        ImageResult result;
        try
        {
            result = ImageResult.FromMemory(bytes, ColorComponents.RedGreenBlue);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or IndexOutOfRangeException or NullReferenceException or OverflowException)
        {
            throw new InputFormatException($"Image '{displayName}' could not be decoded ({ex.Message}); supported formats are {string.Join(", ", Extensions)}.", ex);
        }
        if (result is null || result.Data is null || result.Width <= 0 || result.Height <= 0 || result.Width > MaxSide || result.Height > MaxSide)
            throw new InputFormatException($"Image '{displayName}' could not be decoded; supported formats are {string.Join(", ", Extensions)}.");
        return new DecodedImage(result.Width, result.Height, 3, result.Data);
    }

    /// <summary>Converts an image to grey (1, BT.601 luma) or RGB (3); returns it unchanged when it already has that many channels.</summary>
    public static DecodedImage ConvertChannels(DecodedImage image, int channels)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (channels is not (1 or 3))
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "Channels must be 1 or 3.");
        if (image.Channels == channels)
            return image;
        int n = image.Width * image.Height;
        var pixels = new byte[n * channels];
        if (channels == 1)
        {
            // ITU-R BT.601 luma, as PIL's convert('L') and OpenCV's RGB2GRAY use.
            for (int i = 0; i < n; i++)
            {
                int r = image.Pixels[3 * i], g = image.Pixels[3 * i + 1], b = image.Pixels[3 * i + 2];
                pixels[i] = (byte)Math.Clamp((int)MathF.Round(0.299f * r + 0.587f * g + 0.114f * b), 0, 255);
            }
        }
        else
        {
            for (int i = 0; i < n; i++)
                pixels[3 * i] = pixels[3 * i + 1] = pixels[3 * i + 2] = image.Pixels[i];
        }
        return new DecodedImage(image.Width, image.Height, channels, pixels);
    }
}
