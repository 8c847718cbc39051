using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EdgeCL.Device.Sources.Camera.V4l2;

namespace EdgeCL.Device.Tests.Sources.Camera;

/// <summary>
/// A V4L2 camera behind <see cref="IV4l2Io"/>, kept as the kernel keeps one: formats and sizes it offers, a ring of real
/// (unmanaged) buffers the capture maps, a FIFO of queued buffers, and frames written into them on DQBUF. It enforces the
/// protocol: a buffer queued twice, or dequeued before streaming, fails the test.
/// </summary>
internal sealed class SimulatedV4l2Camera : IV4l2Io, IDisposable
{
    private const int Fd = 7;
    private const uint OffsetStep = 4096;

    private readonly List<nint> _memory = [];
    private readonly Queue<uint> _queued = new();
    private readonly HashSet<uint> _dequeued = [];
    private bool _open;
    private bool _streaming;
    private bool _unplugged;
    private V4l2PixFormat _format;

    public string Card { get; init; } = "Simulated camera";

    public uint DeviceCaps { get; init; } = V4l2Abi.CapVideoCapture | V4l2Abi.CapStreaming;

    /// <summary>Four-character code → the discrete sizes offered in it, in the driver's order.</summary>
    public Dictionary<string, (uint Width, uint Height)[]> Formats { get; init; } = [];

    /// <summary>Bytes after each row of an uncompressed frame (a driver's pitch alignment).</summary>
    public uint RowPadding { get; init; }

    /// <summary>The errno of open (0: it opens).</summary>
    public int OpenErrno { get; set; }

    /// <summary>The frame that stands for the camera being unplugged: DQBUF fails with ENODEV, until it is opened again.</summary>
    public static readonly byte[] Unplug = [];

    /// <summary>Frames the camera will deliver, with their V4L2 buffer flags, or <see cref="Unplug"/>; none left: it is silent.</summary>
    public Queue<(byte[] Data, uint Flags)> Frames { get; } = new();

    public void Deliver(params byte[][] frames)
    {
        foreach (byte[] frame in frames)
            Frames.Enqueue((frame, 0));
    }

    /// <summary>Every system call, named as the kernel names it ("VIDIOC_DQBUF 2" with the buffer index).</summary>
    public List<string> Calls { get; } = [];

    /// <summary>False: <see cref="Calls"/> stays empty, so the camera itself allocates nothing per frame.</summary>
    public bool RecordCalls { get; init; } = true;

    public int Opens { get; private set; }

    public int MappedNow { get; private set; }

    public bool IsOpen => _open;

    public V4l2PixFormat Format => _format;

    public int Open(string path, out int fd)
    {
        Record("open");
        fd = OpenErrno == 0 ? Fd : -1;
        if (OpenErrno == 0)
        {
            Assert.False(_open, "opened twice without a close");
            _open = true;
            Opens++;
        }
        return OpenErrno;
    }

    public int Ioctl<T>(int fd, uint request, ref T argument) where T : unmanaged
    {
        if (fd != Fd || !_open)
            Assert.Fail("ioctl on a descriptor that is not open");
        if (request == V4l2Abi.QueryCap) return QueryCap(ref As<T, V4l2Capability>(ref argument));
        if (request == V4l2Abi.EnumFormat) return EnumFormat(ref As<T, V4l2FmtDesc>(ref argument));
        if (request == V4l2Abi.EnumFrameSizes) return EnumFrameSizes(ref As<T, V4l2FrmSizeEnum>(ref argument));
        if (request == V4l2Abi.SetFormat) return SetFormat(ref As<T, V4l2Format>(ref argument));
        if (request == V4l2Abi.RequestBuffers) return RequestBuffers(ref As<T, V4l2RequestBuffers>(ref argument));
        if (request == V4l2Abi.QueryBuffer) return QueryBuffer(ref As<T, V4l2Buffer>(ref argument));
        if (request == V4l2Abi.QueueBuffer) return QueueBuffer(ref As<T, V4l2Buffer>(ref argument));
        if (request == V4l2Abi.DequeueBuffer) return DequeueBuffer(ref As<T, V4l2Buffer>(ref argument));
        if (request == V4l2Abi.StreamOn || request == V4l2Abi.StreamOff)
        {
            Assert.Equal((int)V4l2Abi.BufTypeVideoCapture, As<T, int>(ref argument));
            _streaming = request == V4l2Abi.StreamOn;
            Record(_streaming ? "VIDIOC_STREAMON" : "VIDIOC_STREAMOFF");
            if (!_streaming)
                _queued.Clear();
            return 0;
        }
        return V4l2Abi.ENOTTY;
    }

    public int Map(int fd, uint length, uint offset, out nint address)
    {
        Record("mmap");
        int index = (int)(offset / OffsetStep);
        Assert.True(offset % OffsetStep == 0 && index < _memory.Count, $"mmap of offset {offset}, which QUERYBUF never gave");
        Assert.Equal(_format.SizeImage, length);
        address = _memory[index];
        MappedNow++;
        return 0;
    }

    public void Unmap(nint address, uint length)
    {
        Record("munmap");
        Assert.Contains(address, _memory);
        MappedNow--;
    }

    public int Poll(int fd, int timeoutMs, out short events)
    {
        events = _unplugged ? V4l2Abi.PollError : Frames.Count > 0 ? V4l2Abi.PollIn : (short)0; // no real wait: a stall costs no time
        return 0;
    }

    public void Close(int fd)
    {
        Record("close");
        _open = false;
        _unplugged = false;
        _streaming = false;
        _queued.Clear();
        _dequeued.Clear();
        Assert.Equal(0, MappedNow); // the capture unmapped every buffer before closing
        Dispose();
    }

    public void Dispose()
    {
        foreach (nint block in _memory)
            Marshal.FreeHGlobal(block);
        _memory.Clear();
    }

    private void Record(string call)
    {
        if (RecordCalls)
            Calls.Add(call);
    }

    private static ref TTo As<TFrom, TTo>(ref TFrom value) => ref Unsafe.As<TFrom, TTo>(ref value);

    private static void WriteText(Span<byte> field, string text)
    {
        field.Clear();
        System.Text.Encoding.ASCII.GetBytes(text).AsSpan(0, Math.Min(text.Length, field.Length - 1)).CopyTo(field);
    }

    private int QueryCap(ref V4l2Capability capability)
    {
        Record("VIDIOC_QUERYCAP");
        Span<byte> bytes = MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref capability, 1));
        WriteText(bytes[..16], "simcam");
        WriteText(bytes[16..48], Card);
        capability.Capabilities = DeviceCaps | V4l2Abi.CapDeviceCaps;
        capability.DeviceCaps = DeviceCaps;
        return 0;
    }

    private int EnumFormat(ref V4l2FmtDesc description)
    {
        Record("VIDIOC_ENUM_FMT");
        if (description.Type != V4l2Abi.BufTypeVideoCapture || description.Index >= Formats.Count)
            return V4l2Abi.EINVAL;
        description.PixelFormat = V4l2Abi.FourCc(Formats.Keys.ElementAt((int)description.Index));
        return 0;
    }

    private int EnumFrameSizes(ref V4l2FrmSizeEnum size)
    {
        var sizes = Formats.GetValueOrDefault(V4l2Abi.FourCcText(size.PixelFormat)) ?? [];
        if (size.Index >= sizes.Length)
            return V4l2Abi.EINVAL;
        size.Type = V4l2Abi.FrameSizeDiscrete;
        (size.Width, size.Height) = sizes[size.Index];
        return 0;
    }

    /// <summary>As drivers do: never EINVAL for a format or size; the nearest it has comes back instead.</summary>
    private int SetFormat(ref V4l2Format format)
    {
        Record("VIDIOC_S_FMT " + V4l2Abi.FourCcText(format.Pix.PixelFormat));
        if (_streaming || _memory.Count > 0)
            return V4l2Abi.EBUSY; // buffers are allocated: the format is fixed until they are freed

        string code = V4l2Abi.FourCcText(format.Pix.PixelFormat);
        if (!Formats.ContainsKey(code))
            code = Formats.Keys.First();
        (uint Width, uint Height)[] sizes = Formats[code];
        (uint width, uint height) = Array.IndexOf(sizes, (format.Pix.Width, format.Pix.Height)) >= 0 ? (format.Pix.Width, format.Pix.Height) : sizes[0];
        uint bytesPerPixel = code switch { "YUYV" => 2, "GREY" => 1, "RGB3" or "BGR3" => 3, _ => 0 };
        uint bytesPerLine = bytesPerPixel == 0 ? 0 : width * bytesPerPixel + RowPadding;
        _format = new V4l2PixFormat
        {
            Width = width,
            Height = height,
            PixelFormat = V4l2Abi.FourCc(code),
            Field = 1,
            BytesPerLine = bytesPerLine,
            SizeImage = bytesPerPixel == 0 ? width * height * 2 : bytesPerLine * height,
        };
        format.Pix = _format;
        return 0;
    }

    private int RequestBuffers(ref V4l2RequestBuffers request)
    {
        Record($"VIDIOC_REQBUFS {request.Count}");
        Assert.Equal(V4l2Abi.MemoryMmap, request.Memory);
        Assert.Empty(_memory); // the capture asks once per opening
        for (int i = 0; i < Math.Min(request.Count, 8); i++)
            _memory.Add(Marshal.AllocHGlobal((int)_format.SizeImage));
        request.Count = (uint)_memory.Count;
        return 0;
    }

    private int QueryBuffer(ref V4l2Buffer buffer)
    {
        Record($"VIDIOC_QUERYBUF {buffer.Index}");
        if (buffer.Index >= _memory.Count)
            return V4l2Abi.EINVAL;
        buffer.Length = _format.SizeImage;
        buffer.Offset = buffer.Index * OffsetStep;
        return 0;
    }

    private int QueueBuffer(ref V4l2Buffer buffer)
    {
        if (RecordCalls)
            Calls.Add($"VIDIOC_QBUF {buffer.Index}");
        // Checks written as ifs: the steady-state test counts allocations, and the camera must not add its own.
        if (buffer.Index >= _memory.Count || _queued.Contains(buffer.Index))
            Assert.Fail($"QBUF of buffer {buffer.Index}, which does not exist or is queued already");
        if (_streaming && !_dequeued.Remove(buffer.Index))
            Assert.Fail($"QBUF of buffer {buffer.Index}, which the capture does not hold");
        _queued.Enqueue(buffer.Index);
        return 0;
    }

    private int DequeueBuffer(ref V4l2Buffer buffer)
    {
        Record("VIDIOC_DQBUF");
        Assert.True(_streaming, "DQBUF before STREAMON");
        if (!_unplugged && Frames.TryPeek(out var next) && ReferenceEquals(next.Data, Unplug))
        {
            Frames.Dequeue();
            _unplugged = true;
        }
        if (_unplugged)
            return V4l2Abi.ENODEV;
        if (Frames.Count == 0)
            return V4l2Abi.EAGAIN;
        if (!_queued.TryDequeue(out uint index))
            return V4l2Abi.EAGAIN; // every buffer is held by the capture: it never gave one back
        (byte[] data, uint flags) = Frames.Dequeue();
        Marshal.Copy(data, 0, _memory[(int)index], Math.Min(data.Length, (int)_format.SizeImage));
        _dequeued.Add(index);
        buffer.Index = index;
        buffer.BytesUsed = (uint)data.Length;
        buffer.Flags = flags;
        if (RecordCalls)
            Calls[^1] += $" {index}";
        return 0;
    }
}
