using Iot.Device.Media;

namespace EdgeCL.Device.Sources.Camera;

/// <summary>V4L2 capture through Iot.Device.Bindings' <see cref="VideoDevice"/>: YUYV frames converted to grey (the Y plane) or RGB (BT.601).</summary>
/// <remarks>
/// Each frame is one <see cref="VideoDevice.Capture()"/> (the binding's single-shot capture), so the frame rate is what that call
/// gives on the device, usually well under the camera's own; <c>every_nth_frame</c> thins it further. Not thread-safe.
/// Not in the Native AOT build (<see cref="CameraFeature"/>); not tried on a camera here (no V4L2 device on the build machine).
/// </remarks>
public sealed class VideoDeviceCapture : ICameraCapture
{
    private readonly int _busId;
    private readonly int _channels;
    private readonly Func<VideoConnectionSettings, VideoDevice> _open;
    private readonly bool _checkDeviceNode;
    private VideoDevice? _device;
    private int _width;
    private int _height;

    /// <summary>Captures from <c>/dev/video<paramref name="busId"/></c>.</summary>
    /// <param name="busId">The N of /dev/videoN.</param>
    /// <param name="channels">Channels to deliver: 1 (grey, the Y plane) or 3 (RGB).</param>
    /// <param name="open">Opens the device; null for the binding's V4L2 device. Tests pass a fake <see cref="VideoDevice"/>.</param>
    public VideoDeviceCapture(int busId, int channels, Func<VideoConnectionSettings, VideoDevice>? open = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(busId);
        if (channels is not (1 or 3))
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "A camera delivers grey (1) or RGB (3) frames.");
        _busId = busId;
        _channels = channels;
        _checkDeviceNode = open is null;
        _open = open ?? VideoDevice.Create;
    }

    /// <summary>The V4L2 device node.</summary>
    public string DevicePath => $"/dev/video{_busId}";

    /// <inheritdoc/>
    /// <exception cref="IOException">No such camera, or it cannot be opened (busy, no permission, unsupported size).</exception>
    public int Open(int width, int height)
    {
        _device?.Dispose();
        _device = null;
        // The binding would fail later with an ioctl errno; a missing node is the common case and deserves a plain reason.
        if (_checkDeviceNode && !File.Exists(DevicePath))
            throw new IOException($"{DevicePath} does not exist: no camera is connected (ls /dev/video*, v4l2-ctl --list-devices)");
        try
        {
            _device = _open(new VideoConnectionSettings(_busId, ((uint)width, (uint)height), VideoPixelFormat.YUYV));
        }
        catch (Exception ex) when (ex is not (IOException or OutOfMemoryException))
        {
            throw new IOException($"{DevicePath} cannot be opened ({ex.Message.ReplaceLineEndings(" ")})", ex);
        }
        _width = width;
        _height = height;
        return _channels;
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidDataException">The camera delivers frames of another size than the configured one.</exception>
    public ValueTask<bool> CaptureAsync(Memory<byte> frame, CancellationToken cancellationToken)
    {
        if (_device is null)
            return ValueTask.FromResult(false);
        byte[] yuyv;
        try
        {
            yuyv = _device.Capture();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return ValueTask.FromResult(false); // unplugged or the driver gave up: the source reopens
        }
        int expected = _width * _height * 2;
        if (yuyv.Length != expected)
            throw new InvalidDataException(
                $"{DevicePath} delivered a {yuyv.Length}-byte frame, not {_width} × {_height} YUYV ({expected} bytes); set width and height to a size the camera supports (v4l2-ctl --list-formats-ext)");
        Yuyv.Convert(yuyv, frame.Span[..(_width * _height * _channels)], _channels);
        return ValueTask.FromResult(true);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _device?.Dispose();
        _device = null;
    }
}
