using System.Text;

namespace EdgeCL.Device.Sources.Camera.V4l2;

/// <summary>Opening: the device checks, the format negotiation and the buffer ring, each failure one line that says what to do.</summary>
internal sealed partial class V4l2Capture
{
    private const int SizesListed = 6; // frame sizes named per format in a "no such size" line

    private string OpenFailure(int errno) => errno switch
    {
        V4l2Abi.ENOENT => $"no camera at {DevicePath}: the device node does not exist; connect a camera or set the camera source's path to one that exists (ls /dev/video*, v4l2-ctl --list-devices)",
        V4l2Abi.ENODEV or V4l2Abi.ENXIO => $"no camera at {DevicePath}: the node exists but no device answers ({Errno.Describe(errno)}); reconnect the camera (v4l2-ctl --list-devices)",
        V4l2Abi.EACCES or V4l2Abi.EPERM => $"{DevicePath} cannot be opened: permission denied; add the agent's user to the video group (device/install.sh does)",
        V4l2Abi.EBUSY => $"{DevicePath} is busy: another program is capturing from it; stop that program (fuser {DevicePath})",
        _ => $"{DevicePath} cannot be opened ({Errno.Describe(errno)})",
    };

    /// <summary>VIDIOC_QUERYCAP: a V4L2 node that captures video with streaming I/O.</summary>
    /// <returns>The camera's name, for messages.</returns>
    private unsafe string CheckCaptureDevice()
    {
        var capability = new V4l2Capability();
        int errno = _io.Ioctl(_fd, V4l2Abi.QueryCap, ref capability);
        if (errno is V4l2Abi.ENOTTY or V4l2Abi.EINVAL)
            throw new IOException($"{DevicePath} is not a V4L2 video device; set the camera source's path to a camera's /dev/videoN (v4l2-ctl --list-devices)");
        Check(errno, "be queried (VIDIOC_QUERYCAP)");
        string card = CString(new ReadOnlySpan<byte>(capability.Card, 32));
        uint caps = (capability.Capabilities & V4l2Abi.CapDeviceCaps) != 0 ? capability.DeviceCaps : capability.Capabilities;
        if ((caps & V4l2Abi.CapVideoCapture) == 0)
        {
            string why = (caps & V4l2Abi.CapVideoCaptureMplane) != 0
                ? "it captures only through the multi-planar API, which edgecl does not read; use a raw-frames source fed by ffmpeg -f v4l2"
                : "a USB camera's second node is usually its metadata: use the first /dev/videoN that v4l2-ctl --list-devices lists for it";
            throw new IOException($"{DevicePath} ({card}) is not a video capture device; {why}");
        }
        if ((caps & V4l2Abi.CapStreaming) == 0)
            throw new IOException($"{DevicePath} ({card}) has no streaming I/O, which edgecl's capture needs; use a raw-frames source fed by ffmpeg -f v4l2");
        return card;
    }

    /// <summary>VIDIOC_ENUM_FMT + VIDIOC_S_FMT: the first format edgecl reads that the camera delivers at exactly this size.</summary>
    private V4l2PixFormat NegotiateFormat(int width, int height, string card)
    {
        List<uint> offered = OfferedFormats();
        foreach (uint candidate in FrameConverter.PreferredFor(_channels))
        {
            if (!offered.Contains(candidate))
                continue;
            var format = new V4l2Format { Type = V4l2Abi.BufTypeVideoCapture };
            format.Pix.Width = (uint)width;
            format.Pix.Height = (uint)height;
            format.Pix.PixelFormat = candidate;
            format.Pix.Field = V4l2Abi.FieldAny;
            int errno = _io.Ioctl(_fd, V4l2Abi.SetFormat, ref format);
            if (errno == V4l2Abi.EBUSY)
                throw new IOException($"{DevicePath} ({card}) is busy: another program is capturing from it; stop that program (fuser {DevicePath})");
            Check(errno is V4l2Abi.EINVAL ? 0 : errno, "be set to a format (VIDIOC_S_FMT)");
            // The driver answers with the nearest it can do; only the exact size is taken (frames are not scaled here).
            if (errno == 0 && format.Pix.PixelFormat == candidate && format.Pix.Width == width && format.Pix.Height == height)
                return format.Pix;
        }
        string offers = offered.Count == 0 ? "no capture format at all" : string.Join("; ", offered.Select(DescribeSizes));
        throw new IOException(
            $"{DevicePath} ({card}) cannot deliver {width} × {height} in a format edgecl reads (YUYV, MJPG, JPEG, GREY, RGB3, BGR3); it offers {offers}; set the source's width and height to one of those sizes");
    }

    private List<uint> OfferedFormats()
    {
        var formats = new List<uint>();
        for (uint index = 0; index < 64; index++)
        {
            var description = new V4l2FmtDesc { Index = index, Type = V4l2Abi.BufTypeVideoCapture };
            if (_io.Ioctl(_fd, V4l2Abi.EnumFormat, ref description) != 0)
                break; // EINVAL past the last one
            formats.Add(description.PixelFormat);
        }
        return formats;
    }

    /// <summary>"YUYV 640×480, 320×240" (VIDIOC_ENUM_FRAMESIZES), for the line that says which sizes a camera has.</summary>
    private string DescribeSizes(uint pixelFormat)
    {
        var text = new StringBuilder(V4l2Abi.FourCcText(pixelFormat));
        for (uint index = 0; index <= SizesListed; index++)
        {
            var size = new V4l2FrmSizeEnum { Index = index, PixelFormat = pixelFormat };
            if (_io.Ioctl(_fd, V4l2Abi.EnumFrameSizes, ref size) != 0)
                break;
            if (index == SizesListed)
            {
                text.Append(", …");
                break;
            }
            text.Append(index == 0 ? " " : ", ");
            text.Append(size.Type == V4l2Abi.FrameSizeDiscrete
                ? $"{size.Width}×{size.Height}"
                : $"{size.MinWidth}×{size.MinHeight} to {size.MaxWidth}×{size.MaxHeight}"); // stepwise or continuous
            if (size.Type != V4l2Abi.FrameSizeDiscrete)
                break;
        }
        return text.ToString();
    }

    /// <summary>VIDIOC_REQBUFS, then QUERYBUF + mmap + QBUF for each buffer the driver gave.</summary>
    private void MapBuffers()
    {
        var request = new V4l2RequestBuffers { Count = BufferCount, Type = V4l2Abi.BufTypeVideoCapture, Memory = V4l2Abi.MemoryMmap };
        Check(_io.Ioctl(_fd, V4l2Abi.RequestBuffers, ref request), "give capture buffers (VIDIOC_REQBUFS)");
        if (request.Count == 0)
            throw new IOException($"{DevicePath} gave no capture buffers (out of memory, or another program holds them)");
        for (uint index = 0; index < request.Count; index++)
        {
            var buffer = new V4l2Buffer { Index = index, Type = V4l2Abi.BufTypeVideoCapture, Memory = V4l2Abi.MemoryMmap };
            Check(_io.Ioctl(_fd, V4l2Abi.QueryBuffer, ref buffer), "describe a capture buffer (VIDIOC_QUERYBUF)");
            Check(_io.Map(_fd, buffer.Length, buffer.Offset, out nint address), "map a capture buffer (mmap)");
            _buffers.Add((address, buffer.Length));
            Check(_io.Ioctl(_fd, V4l2Abi.QueueBuffer, ref buffer), "queue a capture buffer (VIDIOC_QBUF)");
        }
    }

    private void Check(int errno, string what)
    {
        if (errno == 0)
            return;
        throw new IOException(errno is V4l2Abi.ENODEV or V4l2Abi.ENXIO
            ? $"{DevicePath} went away while it was being opened ({Errno.Describe(errno)}); reconnect it"
            : $"{DevicePath} could not {what}: {Errno.Describe(errno)}");
    }

    private static string CString(ReadOnlySpan<byte> bytes)
    {
        int end = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]).Trim();
    }
}
