using System.Buffers.Binary;
using EdgeCL.Onnx.Errors;
using StbImageSharp;

namespace EdgeCL.Onnx.Images;

/// <summary>Decodes PNG, JPEG, BMP, TGA, GIF (first frame) via StbImageSharp, and binary/ASCII PGM/PPM natively.</summary>
/// <remarks>
/// <para><b>Size limits, checked before anything is decoded.</b> A 400 KB PNG can claim 20000 × 20000 pixels and
/// inflate to gigabytes (a decompression bomb); on a device one such file in a watched folder would get the agent
/// killed. So the dimensions are read from the header first (PNG IHDR, JPEG SOF, BMP/TGA/GIF header, PNM header) and an
/// image over <see cref="MaxPixels"/> pixels or <see cref="MaxSide"/> on a side is refused with one line, as is a file
/// over <see cref="MaxFileBytes"/>. Decoded, an image at the pixel limit takes 3 bytes a pixel (48 MiB).</para>
/// </remarks>
public static class ImageDecoder
{
    /// <summary>Largest accepted side, guarding memory against forged headers.</summary>
    public const int MaxSide = 16384;

    /// <summary>Most pixels accepted (16 megapixels, e.g. 4096 × 4096 or a 12-megapixel photo); checked from the header before decoding.</summary>
    public const long MaxPixels = 16L << 20;

    /// <summary>Largest image file read (64 MiB).</summary>
    public const long MaxFileBytes = 64L << 20;

    /// <summary>File extensions this decoder accepts.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".png", ".jpg", ".jpeg", ".bmp", ".tga", ".gif", ".pgm", ".ppm", ".pnm"];

    /// <summary>Reads and decodes an image file into grey (<paramref name="channels"/> = 1) or RGB (3).</summary>
    /// <exception cref="InputFormatException">The file is missing, unreadable or not a supported image.</exception>
    public static DecodedImage DecodeFile(string path, int channels)
    {
        byte[] bytes;
        try
        {
            long length = new FileInfo(path).Length;
            if (length > MaxFileBytes)
                throw new InputFormatException($"Image '{path}' is {length} bytes, over the {MaxFileBytes >> 20} MiB limit; scale it down before it reaches the device.");
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

    /// <summary>Refuses an image whose header claims more than <see cref="MaxPixels"/> pixels or <see cref="MaxSide"/> on a side.</summary>
    /// <exception cref="InputFormatException">Too large; one line with the claimed size and the fix.</exception>
    internal static void EnsureSizeAllowed(long width, long height, string displayName)
    {
        if (width <= MaxSide && height <= MaxSide && width * height <= MaxPixels)
            return;
        throw new InputFormatException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"Image '{displayName}' is {width}×{height} ({width * height / 1e6:0.#} megapixels), over the limit of {MaxPixels / 1e6:0.#} megapixels and {MaxSide} per side; scale it down (the model uses a few hundred pixels) before it reaches the device."));
    }

    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private static DecodedImage DecodeWithStb(byte[] bytes, string displayName)
    {
        ImageResult result;
        try
        {
            // The header alone first: a small file may claim a huge image (a decompression bomb).
            ImageInfo? info;
            using (var header = new StbInput(bytes))
                info = ImageInfo.FromStream(header);
            // stb's own header check refuses a PNG over 2^30 bytes of pixels without saying why: read its IHDR directly.
            if (info is null && bytes.Length >= 24 && bytes.AsSpan(0, 8).SequenceEqual(PngSignature) && bytes.AsSpan(12, 4).SequenceEqual("IHDR"u8))
                EnsureSizeAllowed(BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(20)), displayName);
            if (info is not { } known || known.Width <= 0 || known.Height <= 0)
                throw new InputFormatException($"Image '{displayName}' is not a supported image or its header is damaged; supported formats are {string.Join(", ", Extensions)}.");
            EnsureSizeAllowed(known.Width, known.Height, displayName);
            using (var input = new StbInput(bytes))
                result = ImageResult.FromStream(input, ColorComponents.RedGreenBlue);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or IndexOutOfRangeException or NullReferenceException or OverflowException)
        {
            throw new InputFormatException($"Image '{displayName}' could not be decoded ({Printable(ex.Message)}); the file is damaged or not an image: re-export it as {string.Join(", ", Extensions)}.", ex);
        }
        if (result is null || result.Data is null || result.Width <= 0 || result.Height <= 0 || result.Width > MaxSide || result.Height > MaxSide)
            throw new InputFormatException($"Image '{displayName}' could not be decoded; supported formats are {string.Join(", ", Extensions)}.");
        return new DecodedImage(result.Width, result.Height, 3, result.Data);
    }

    /// <summary>A decoder's message with anything but printable ASCII replaced (stb names an unknown PNG chunk by its raw type bytes).</summary>
    private static string Printable(string message)
    {
        Span<char> text = message.Length <= 256 ? stackalloc char[message.Length] : new char[message.Length];
        for (int i = 0; i < message.Length; i++)
            text[i] = message[i] is >= ' ' and <= '~' ? message[i] : '?';
        return new string(text);
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
