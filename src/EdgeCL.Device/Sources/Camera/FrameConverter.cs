using EdgeCL.Device.Sources.Camera.V4l2;
using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Images;

namespace EdgeCL.Device.Sources.Camera;

/// <summary>Turns one camera frame in its pixel format (rows <c>bytesPerLine</c> apart) into grey or RGB pixels.</summary>
/// <remarks>
/// YUYV, GREY, RGB24 and BGR24 convert row by row into the caller's buffer and allocate nothing. MJPEG (and JPEG) frames are
/// copied into a buffer made once, given the standard Huffman tables when they lack them (<see cref="Mjpeg"/>), and decoded by
/// the project's image decoder (StbImageSharp), which allocates its output per frame.
/// </remarks>
internal sealed class FrameConverter
{
    /// <summary>The pixel formats this converter reads, best first for grey (1) and for RGB (3) output.</summary>
    public static IReadOnlyList<uint> PreferredFor(int channels) => channels == 1 ? s_forGrey : s_forRgb;

    public static readonly uint Yuyv = V4l2Abi.FourCc("YUYV");
    public static readonly uint Grey = V4l2Abi.FourCc("GREY");
    public static readonly uint Rgb24 = V4l2Abi.FourCc("RGB3");
    public static readonly uint Bgr24 = V4l2Abi.FourCc("BGR3");
    public static readonly uint Mjpg = V4l2Abi.FourCc("MJPG");
    public static readonly uint Jpeg = V4l2Abi.FourCc("JPEG");

    // Uncompressed first (no decode, no allocation); the camera's own grey or RGB before YUYV's conversion.
    private static readonly uint[] s_forGrey = [Grey, Yuyv, Rgb24, Bgr24, Mjpg, Jpeg];
    private static readonly uint[] s_forRgb = [Rgb24, Bgr24, Yuyv, Grey, Mjpg, Jpeg];

    private readonly uint _format;
    private readonly int _width;
    private readonly int _height;
    private readonly int _channels;
    private readonly int _bytesPerPixel;
    private readonly int _stride;
    private readonly string _device;
    private readonly byte[]? _jpeg;
    private int _jpegLength;

    /// <summary>A converter for frames of <paramref name="width"/> × <paramref name="height"/> in <paramref name="format"/>.</summary>
    /// <param name="format">A V4L2 four-character code from <see cref="PreferredFor"/>.</param>
    /// <param name="width">Frame width.</param>
    /// <param name="height">Frame height.</param>
    /// <param name="bytesPerLine">The driver's row pitch (0 or less than a row: rows are packed).</param>
    /// <param name="maxFrameBytes">The largest frame the driver delivers (its <c>sizeimage</c>); sizes the MJPEG buffer.</param>
    /// <param name="channels">1 (grey) or 3 (RGB) output.</param>
    /// <param name="device">The device path, for messages.</param>
    public FrameConverter(uint format, int width, int height, int bytesPerLine, int maxFrameBytes, int channels, string device)
    {
        _format = format;
        _width = width;
        _height = height;
        _channels = channels;
        _device = device;
        _bytesPerPixel = format == Yuyv ? 2 : format == Grey ? 1 : format == Rgb24 || format == Bgr24 ? 3 : 0;
        if (IsJpeg(format))
            _jpeg = new byte[maxFrameBytes + Mjpeg.MaxAddedBytes];
        else if (_bytesPerPixel == 0)
            throw new ArgumentException($"Pixel format {V4l2Abi.FourCcText(format)} is not one the converter reads.", nameof(format));
        _stride = Math.Max(bytesPerLine, width * _bytesPerPixel);
    }

    /// <summary>True for the compressed formats (decoded per frame).</summary>
    public static bool IsJpeg(uint format) => format == Mjpg || format == Jpeg;

    /// <summary>Converts <paramref name="frame"/> into <paramref name="output"/> (width × height × channels bytes).</summary>
    /// <exception cref="InvalidDataException">The frame does not hold the configured size: one line, the source reopens.</exception>
    /// <exception cref="InputFormatException">A damaged compressed frame (USB cameras send one now and then).</exception>
    public void Convert(ReadOnlySpan<byte> frame, Span<byte> output)
    {
        if (_jpeg is not null)
        {
            ConvertJpeg(frame, output);
            return;
        }
        int rowBytes = _width * _bytesPerPixel, needed = _stride * (_height - 1) + rowBytes;
        if (frame.Length < needed)
            throw new InvalidDataException(
                $"{_device} delivered a {frame.Length}-byte {V4l2Abi.FourCcText(_format)} frame, less than {_width} × {_height} needs ({needed} bytes); check width and height against v4l2-ctl --list-formats-ext");
        int outRow = _width * _channels;
        for (int y = 0; y < _height; y++)
        {
            ReadOnlySpan<byte> row = frame.Slice(y * _stride, rowBytes);
            Span<byte> target = output.Slice(y * outRow, outRow);
            if (_format == Yuyv)
                Camera.Yuyv.Convert(row, target, _channels);
            else if (_bytesPerPixel == _channels)
                CopyRow(row, target, swapRedBlue: _format == Bgr24);
            else if (_channels == 1)
                LumaRow(row, target, blueFirst: _format == Bgr24);
            else
                GreyToRgbRow(row, target);
        }
    }

    private void ConvertJpeg(ReadOnlySpan<byte> frame, Span<byte> output)
    {
        if (frame.Length > _jpeg!.Length - Mjpeg.MaxAddedBytes)
            throw new InvalidDataException($"{_device} delivered a {frame.Length}-byte JPEG frame, more than the {_jpeg.Length - Mjpeg.MaxAddedBytes} bytes it announced");
        int length = Mjpeg.CopyWithHuffmanTables(frame, _jpeg);
        if (length < _jpegLength)
            _jpeg.AsSpan(length, _jpegLength - length).Clear(); // no bytes of the previous frame after this one's end
        _jpegLength = length;
        DecodedImage image = ImageDecoder.Decode(_jpeg, _channels, $"{_device} frame");
        if (image.Width != _width || image.Height != _height)
            throw new InvalidDataException(
                $"{_device} delivered a {image.Width} × {image.Height} {V4l2Abi.FourCcText(_format)} frame, not the configured {_width} × {_height}; set width and height to a size the camera sends (v4l2-ctl --list-formats-ext)");
        image.Pixels.AsSpan(0, output.Length).CopyTo(output);
    }

    private static void CopyRow(ReadOnlySpan<byte> row, Span<byte> target, bool swapRedBlue)
    {
        row.CopyTo(target);
        if (!swapRedBlue)
            return;
        for (int i = 0; i + 2 < target.Length; i += 3)
            (target[i], target[i + 2]) = (target[i + 2], target[i]);
    }

    /// <summary>BT.601 luma, as <see cref="ImageDecoder.ConvertChannels"/> computes it for decoded files.</summary>
    private static void LumaRow(ReadOnlySpan<byte> row, Span<byte> target, bool blueFirst)
    {
        for (int x = 0; x < target.Length; x++)
        {
            int r = row[3 * x], g = row[3 * x + 1], b = row[3 * x + 2];
            if (blueFirst)
                (r, b) = (b, r);
            target[x] = (byte)Math.Clamp((int)MathF.Round(0.299f * r + 0.587f * g + 0.114f * b), 0, 255);
        }
    }

    private static void GreyToRgbRow(ReadOnlySpan<byte> row, Span<byte> target)
    {
        for (int x = 0; x < row.Length; x++)
            target[3 * x] = target[3 * x + 1] = target[3 * x + 2] = row[x];
    }
}
