using System.Runtime.CompilerServices;

namespace EdgeCL.Device.Sources.Camera.V4l2;

/// <summary>The ioctl request numbers and constants of <c>&lt;linux/videodev2.h&gt;</c> the capture uses (Linux, LP64).</summary>
/// <remarks>
/// Request numbers are built as the kernel's <c>_IOR/_IOW/_IOWR('V', nr, type)</c> macros build them, with the size of this
/// file's structs, so a struct that drifted from the kernel's size would also change its request number; V4l2AbiTests pins
/// both against the values the C header gives on x86-64 and arm64 (asm-generic ioctl encoding: identical on the two).
/// </remarks>
internal static class V4l2Abi
{
    private const uint Write = 1, Read = 2; // _IOC_WRITE, _IOC_READ

    public static readonly uint QueryCap = Ioc(Read, 0, Unsafe.SizeOf<V4l2Capability>());
    public static readonly uint EnumFormat = Ioc(Read | Write, 2, Unsafe.SizeOf<V4l2FmtDesc>());
    public static readonly uint SetFormat = Ioc(Read | Write, 5, Unsafe.SizeOf<V4l2Format>());
    public static readonly uint RequestBuffers = Ioc(Read | Write, 8, Unsafe.SizeOf<V4l2RequestBuffers>());
    public static readonly uint QueryBuffer = Ioc(Read | Write, 9, Unsafe.SizeOf<V4l2Buffer>());
    public static readonly uint QueueBuffer = Ioc(Read | Write, 15, Unsafe.SizeOf<V4l2Buffer>());
    public static readonly uint DequeueBuffer = Ioc(Read | Write, 17, Unsafe.SizeOf<V4l2Buffer>());
    public static readonly uint StreamOn = Ioc(Write, 18, sizeof(int));
    public static readonly uint StreamOff = Ioc(Write, 19, sizeof(int));
    public static readonly uint EnumFrameSizes = Ioc(Read | Write, 74, Unsafe.SizeOf<V4l2FrmSizeEnum>());

    public const uint BufTypeVideoCapture = 1;
    public const uint MemoryMmap = 1;
    public const uint FieldAny = 0;
    public const uint FrameSizeDiscrete = 1;
    public const uint BufFlagError = 0x40;

    public const uint CapVideoCapture = 0x1;
    public const uint CapVideoCaptureMplane = 0x1000;
    public const uint CapStreaming = 0x04000000;
    public const uint CapDeviceCaps = 0x80000000;

    public const short PollIn = 0x1;
    public const short PollError = 0x8;
    public const short PollHangUp = 0x10;
    public const short PollInvalid = 0x20;

    // errno values (asm-generic: the same on x86-64 and arm64).
    public const int EPERM = 1, ENOENT = 2, EINTR = 4, EIO = 5, ENXIO = 6, EAGAIN = 11, ENOMEM = 12, EACCES = 13, EBUSY = 16,
        ENODEV = 19, EINVAL = 22, ENOTTY = 25;

    /// <summary>A V4L2 four-character code, e.g. <c>"YUYV"</c>.</summary>
    public static uint FourCc(ReadOnlySpan<char> code) => code[0] | (uint)code[1] << 8 | (uint)code[2] << 16 | (uint)code[3] << 24;

    /// <summary>The four characters of a code, for messages (unprintable bytes as '?').</summary>
    public static string FourCcText(uint code)
    {
        Span<char> text = stackalloc char[4];
        for (int i = 0; i < 4; i++)
        {
            char c = (char)((code >> (8 * i)) & 0xFF);
            text[i] = c is >= ' ' and <= '~' ? c : '?';
        }
        return new string(text).TrimEnd();
    }

    /// <summary>The kernel's <c>_IOC(dir, 'V', nr, size)</c>: direction in bits 30-31, size in 16-29, type in 8-15, number in 0-7.</summary>
    internal static uint Ioc(uint direction, uint number, int size) => direction << 30 | (uint)size << 16 | (uint)'V' << 8 | number;
}
