// Compiled only with -p:EdgeClCamera=true, which adds the Iot.Device.Bindings package (see EdgeCL.Device.csproj).
// The default build does not compile this file, so it has not been built in CI; check it against the package version you add.
using Iot.Device.Media;

namespace EdgeCL.Device.Sources.Camera;

/// <summary>V4L2 capture through Iot.Device.Bindings' <see cref="VideoDevice"/>: YUYV frames converted to grey (the Y plane) or RGB (BT.601).</summary>
public sealed class VideoDeviceCapture(int busId, int channels) : ICameraCapture
{
    private VideoDevice? _device;
    private int _width;
    private int _height;

    /// <inheritdoc/>
    public int Open(int width, int height)
    {
        _device?.Dispose();
        _width = width;
        _height = height;
        _device = VideoDevice.Create(new VideoConnectionSettings(busId, ((uint)width, (uint)height), VideoPixelFormat.YUYV));
        return channels;
    }

    /// <inheritdoc/>
    public ValueTask<bool> CaptureAsync(Memory<byte> frame, CancellationToken cancellationToken)
    {
        if (_device is null)
            return ValueTask.FromResult(false);
        byte[] yuyv;
        try
        {
            yuyv = _device.Capture();
        }
        catch (IOException)
        {
            return ValueTask.FromResult(false); // unplugged
        }
        if (yuyv.Length < _width * _height * 2)
            return ValueTask.FromResult(false);
        Span<byte> output = frame.Span;
        // YUYV packs two pixels in four bytes: Y0 U Y1 V.
        for (int pixel = 0; pixel < _width * _height; pixel++)
        {
            int y = yuyv[2 * pixel];
            if (channels == 1)
            {
                output[pixel] = (byte)y;
                continue;
            }
            int pair = pixel & ~1;
            int u = yuyv[2 * pair + 1] - 128, v = yuyv[2 * pair + 3] - 128, c = y - 16;
            output[3 * pixel] = Clamp((298 * c + 409 * v + 128) >> 8);
            output[3 * pixel + 1] = Clamp((298 * c - 100 * u - 208 * v + 128) >> 8);
            output[3 * pixel + 2] = Clamp((298 * c + 516 * u + 128) >> 8);
        }
        return ValueTask.FromResult(true);
    }

    /// <inheritdoc/>
    public void Dispose() => _device?.Dispose();

    private static byte Clamp(int value) => (byte)Math.Clamp(value, 0, 255);
}
