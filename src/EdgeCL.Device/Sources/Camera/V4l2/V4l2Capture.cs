using EdgeCL.Onnx.Errors;

namespace EdgeCL.Device.Sources.Camera.V4l2;

/// <summary>
/// V4L2 capture with memory-mapped streaming I/O: the camera fills a ring of kernel buffers, each frame is converted straight
/// out of its mapped buffer into the caller's frame (grey or RGB) and the buffer is queued again.
/// </summary>
/// <remarks>
/// <para>Open: QUERYCAP (a capture device with streaming), ENUM_FMT + S_FMT (the first format in
/// <see cref="FrameConverter.PreferredFor"/> the camera offers at exactly the configured size), REQBUFS, QUERYBUF + mmap + QBUF
/// for each buffer, STREAMON. Capture: poll, DQBUF, convert, QBUF. Close: STREAMOFF, munmap, close.</para>
/// <para>The system calls go through <see cref="IV4l2Io"/>: <see cref="LinuxV4l2Io"/> (source-generated, so the Native AOT
/// build has it) or a simulated camera in tests. The descriptor is non-blocking and each wait is a bounded poll, so a capture
/// never hangs on a silent camera; <see cref="CaptureAsync"/> completes synchronously, waiting on the calling thread (the agent
/// runs each source on its own pool task). Uncompressed frames allocate nothing in steady state. LP64 Linux only (x64, arm64).
/// Not thread-safe.</para>
/// </remarks>
internal sealed partial class V4l2Capture : ICameraCapture
{
    /// <summary>Kernel buffers to request: enough that the camera keeps filling while one frame is converted.</summary>
    internal const int BufferCount = 4;

    /// <summary>No frame for this long means the camera stalled: the source reopens it.</summary>
    internal const int FrameTimeoutMs = 5000;

    private const int PollSliceMs = 200;     // how often a wait looks at its cancellation token
    private const int DamagedFramesInARow = 5; // damaged MJPEG frames skipped before the source is told

    private readonly IV4l2Io _io;
    private readonly int _channels;
    private readonly List<(nint Address, uint Length)> _buffers = [];
    private int _fd = -1;
    private bool _streaming;
    private FrameConverter? _converter;
    private int _damaged;

    /// <summary>Captures from <paramref name="devicePath"/> (a <c>/dev/videoN</c> node).</summary>
    /// <param name="devicePath">The V4L2 device node.</param>
    /// <param name="channels">Channels to deliver: 1 (grey) or 3 (RGB).</param>
    /// <param name="io">The system calls; null for the real ones.</param>
    public V4l2Capture(string devicePath, int channels, IV4l2Io? io = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(devicePath);
        if (channels is not (1 or 3))
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "A camera delivers grey (1) or RGB (3) frames.");
        DevicePath = devicePath;
        _channels = channels;
        _io = io ?? LinuxV4l2Io.Instance;
    }

    /// <summary>The V4L2 device node.</summary>
    public string DevicePath { get; }

    /// <summary>The pixel format in use since the last <see cref="Open"/> (a four-character code such as "YUYV"), or null.</summary>
    public string? PixelFormat { get; private set; }

    /// <inheritdoc/>
    /// <exception cref="IOException">No camera at the path, not a capture device, busy, no permission, or no format at this size.</exception>
    public int Open(int width, int height)
    {
        Close();
        if (!Environment.Is64BitProcess)
            throw new IOException($"{DevicePath}: edgecl's V4L2 capture is built for 64-bit Linux (x64, arm64); use a raw-frames source fed by ffmpeg on this system");
        int errno = _io.Open(DevicePath, out int fd);
        if (errno != 0)
            throw new IOException(OpenFailure(errno));
        _fd = fd;
        try
        {
            string card = CheckCaptureDevice();
            V4l2PixFormat format = NegotiateFormat(width, height, card);
            MapBuffers();
            int type = (int)V4l2Abi.BufTypeVideoCapture;
            Check(_io.Ioctl(_fd, V4l2Abi.StreamOn, ref type), "start streaming (VIDIOC_STREAMON)");
            _streaming = true;
            uint largestFrame = format.SizeImage;
            foreach ((_, uint length) in _buffers)
                largestFrame = Math.Max(largestFrame, length); // a mapped buffer may be longer (page-rounded) than sizeimage
            _converter = new FrameConverter(format.PixelFormat, width, height, (int)format.BytesPerLine, (int)largestFrame, _channels, DevicePath);
            PixelFormat = V4l2Abi.FourCcText(format.PixelFormat);
            _damaged = 0;
            return _channels;
        }
        catch
        {
            Close();
            throw;
        }
    }

    /// <inheritdoc/>
    /// <exception cref="IOException">The camera went away mid-stream (unplugged: ENODEV) or stalled; the source reopens it.</exception>
    /// <exception cref="InvalidDataException">Frames that do not hold the configured size.</exception>
    public ValueTask<bool> CaptureAsync(Memory<byte> frame, CancellationToken cancellationToken)
    {
        if (_converter is null)
            return ValueTask.FromResult(false);
        while (true)
        {
            var buffer = new V4l2Buffer { Type = V4l2Abi.BufTypeVideoCapture, Memory = V4l2Abi.MemoryMmap };
            WaitAndDequeue(ref buffer, cancellationToken);
            bool converted = ConvertAndRequeue(ref buffer, frame.Span);
            if (converted)
                return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => Close();

    /// <summary>Waits (in bounded polls) for a filled buffer and dequeues it.</summary>
    private void WaitAndDequeue(ref V4l2Buffer buffer, CancellationToken cancellationToken)
    {
        for (int waitedMs = 0; ; waitedMs += PollSliceMs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int errno = _io.Ioctl(_fd, V4l2Abi.DequeueBuffer, ref buffer);
            if (errno == 0)
                return;
            if (errno != V4l2Abi.EAGAIN)
                throw new IOException(errno is V4l2Abi.ENODEV or V4l2Abi.ENXIO or V4l2Abi.EIO
                    ? $"{DevicePath} went away mid-stream ({Errno.Describe(errno)}): unplugged or its driver reset; reconnect it"
                    : $"{DevicePath} failed to deliver a frame (VIDIOC_DQBUF: {Errno.Describe(errno)})");
            if (waitedMs >= FrameTimeoutMs)
                throw new IOException($"{DevicePath} delivered no frame for {FrameTimeoutMs / 1000} s (a stalled camera or too little USB bandwidth)");
            errno = _io.Poll(_fd, PollSliceMs, out _);
            if (errno != 0)
                throw new IOException($"{DevicePath} cannot be waited on (poll: {Errno.Describe(errno)})");
        }
    }

    /// <summary>Converts a dequeued buffer into <paramref name="frame"/> and hands the buffer back to the driver.</summary>
    /// <returns>False for a frame to skip (the driver flagged it, or a damaged MJPEG frame among good ones).</returns>
    private unsafe bool ConvertAndRequeue(ref V4l2Buffer buffer, Span<byte> frame)
    {
        if (buffer.Index >= _buffers.Count)
            throw new IOException($"{DevicePath} returned buffer {buffer.Index} of {_buffers.Count} (a driver error)");
        try
        {
            (nint address, uint length) = _buffers[(int)buffer.Index];
            var data = new ReadOnlySpan<byte>((void*)address, (int)Math.Min(buffer.BytesUsed, length));
            if ((buffer.Flags & V4l2Abi.BufFlagError) != 0)
                return SkipDamaged("frames the driver flagged as damaged"); // e.g. a dropped USB packet; the next one is usually fine
            _converter!.Convert(data, frame);
            _damaged = 0;
            return true;
        }
        catch (InputFormatException ex)
        {
            return SkipDamaged(ex.Message);
        }
        finally
        {
            Requeue(ref buffer);
        }
    }

    /// <summary>Skips a damaged frame, unless it is one of <see cref="DamagedFramesInARow"/> in a row: then the source is told.</summary>
    private bool SkipDamaged(string what)
    {
        if (++_damaged < DamagedFramesInARow)
            return false;
        throw new InvalidDataException($"{DevicePath} sent {DamagedFramesInARow} damaged frames in a row ({what})");
    }

    private void Requeue(ref V4l2Buffer buffer)
    {
        var again = new V4l2Buffer { Index = buffer.Index, Type = V4l2Abi.BufTypeVideoCapture, Memory = V4l2Abi.MemoryMmap };
        int errno = _io.Ioctl(_fd, V4l2Abi.QueueBuffer, ref again);
        if (errno != 0)
            throw new IOException(errno == V4l2Abi.ENODEV
                ? $"{DevicePath} went away mid-stream ({Errno.Describe(errno)}): unplugged or its driver reset; reconnect it"
                : $"{DevicePath} refused a buffer back (VIDIOC_QBUF: {Errno.Describe(errno)})");
    }

    /// <summary>Stops streaming and releases the buffers and the descriptor; safe to call twice.</summary>
    private void Close()
    {
        _converter = null;
        PixelFormat = null;
        if (_fd < 0)
            return;
        if (_streaming)
        {
            int type = (int)V4l2Abi.BufTypeVideoCapture;
            _ = _io.Ioctl(_fd, V4l2Abi.StreamOff, ref type); // fails when unplugged; closing releases everything anyway
            _streaming = false;
        }
        foreach ((nint address, uint length) in _buffers)
            _io.Unmap(address, length);
        _buffers.Clear();
        _io.Close(_fd);
        _fd = -1;
    }
}
