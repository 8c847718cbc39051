using System.Runtime.InteropServices;

namespace EdgeCL.Device.Sources.Camera.V4l2;

// The Linux UAPI structs of <linux/videodev2.h> that the capture passes to ioctl, laid out explicitly for the LP64 ABIs
// (linux-x64 and linux-arm64 have the same sizes and offsets; V4l2AbiTests pins them against the header's values).
// Every field is a plain number or a fixed byte array, so the structs are blittable: ioctl gets a pointer and nothing is
// marshalled at run time (the reason this exists: Iot.Device.Bindings' ByValTStr/ByValArray structs are not AOT-safe).

/// <summary><c>struct v4l2_capability</c> (VIDIOC_QUERYCAP), 104 bytes.</summary>
[StructLayout(LayoutKind.Explicit, Size = 104)]
internal unsafe struct V4l2Capability
{
    [FieldOffset(0)] public fixed byte Driver[16];
    [FieldOffset(16)] public fixed byte Card[32];
    [FieldOffset(48)] public fixed byte BusInfo[32];
    [FieldOffset(80)] public uint Version;
    [FieldOffset(84)] public uint Capabilities;
    [FieldOffset(88)] public uint DeviceCaps;
    [FieldOffset(92)] public fixed uint Reserved[3];
}

/// <summary><c>struct v4l2_fmtdesc</c> (VIDIOC_ENUM_FMT), 64 bytes.</summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
internal unsafe struct V4l2FmtDesc
{
    [FieldOffset(0)] public uint Index;
    [FieldOffset(4)] public uint Type;
    [FieldOffset(8)] public uint Flags;
    [FieldOffset(12)] public fixed byte Description[32];
    [FieldOffset(44)] public uint PixelFormat;
    [FieldOffset(48)] public uint MbusCode;
}

/// <summary><c>struct v4l2_pix_format</c>, 48 bytes: the single-planar image format inside <see cref="V4l2Format"/>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 48)]
internal struct V4l2PixFormat
{
    [FieldOffset(0)] public uint Width;
    [FieldOffset(4)] public uint Height;
    [FieldOffset(8)] public uint PixelFormat;
    [FieldOffset(12)] public uint Field;
    [FieldOffset(16)] public uint BytesPerLine;
    [FieldOffset(20)] public uint SizeImage;
    [FieldOffset(24)] public uint Colorspace;
    [FieldOffset(28)] public uint Priv;
    [FieldOffset(32)] public uint Flags;
    [FieldOffset(36)] public uint YcbcrEncoding;
    [FieldOffset(40)] public uint Quantization;
    [FieldOffset(44)] public uint TransferFunction;
}

/// <summary><c>struct v4l2_format</c> (VIDIOC_S_FMT/G_FMT), 208 bytes on LP64: the union starts at 8 because one member holds pointers.</summary>
[StructLayout(LayoutKind.Explicit, Size = 208)]
internal struct V4l2Format
{
    [FieldOffset(0)] public uint Type;
    [FieldOffset(8)] public V4l2PixFormat Pix;
}

/// <summary><c>struct v4l2_frmsizeenum</c> (VIDIOC_ENUM_FRAMESIZES), 44 bytes; discrete or stepwise sizes share the union at 12.</summary>
[StructLayout(LayoutKind.Explicit, Size = 44)]
internal struct V4l2FrmSizeEnum
{
    [FieldOffset(0)] public uint Index;
    [FieldOffset(4)] public uint PixelFormat;
    [FieldOffset(8)] public uint Type;
    [FieldOffset(12)] public uint Width;       // discrete.width; stepwise.min_width
    [FieldOffset(16)] public uint Height;      // discrete.height; stepwise.max_width
    [FieldOffset(20)] public uint StepWidth;   // stepwise.step_width
    [FieldOffset(24)] public uint MinHeight;   // stepwise.min_height
    [FieldOffset(28)] public uint MaxHeight;   // stepwise.max_height
    [FieldOffset(32)] public uint StepHeight;  // stepwise.step_height

    /// <summary>stepwise.min_width (the union's first word).</summary>
    public readonly uint MinWidth => Width;

    /// <summary>stepwise.max_width (the union's second word).</summary>
    public readonly uint MaxWidth => Height;
}

/// <summary><c>struct v4l2_requestbuffers</c> (VIDIOC_REQBUFS), 20 bytes.</summary>
[StructLayout(LayoutKind.Explicit, Size = 20)]
internal struct V4l2RequestBuffers
{
    [FieldOffset(0)] public uint Count;
    [FieldOffset(4)] public uint Type;
    [FieldOffset(8)] public uint Memory;
    [FieldOffset(12)] public uint Capabilities;
    [FieldOffset(16)] public byte Flags;
}

/// <summary>
/// <c>struct v4l2_buffer</c> (VIDIOC_QUERYBUF/QBUF/DQBUF), 88 bytes on LP64: <c>struct timeval</c> (two longs) aligns to 8,
/// so the timestamp is at 24, and the <c>m</c> union (offset, pointer or fd) is 8 bytes at 64.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 88)]
internal struct V4l2Buffer
{
    [FieldOffset(0)] public uint Index;
    [FieldOffset(4)] public uint Type;
    [FieldOffset(8)] public uint BytesUsed;
    [FieldOffset(12)] public uint Flags;
    [FieldOffset(16)] public uint Field;
    [FieldOffset(24)] public long TimestampSeconds;
    [FieldOffset(32)] public long TimestampMicroseconds;
    [FieldOffset(40)] public V4l2Timecode Timecode;
    [FieldOffset(56)] public uint Sequence;
    [FieldOffset(60)] public uint Memory;
    [FieldOffset(64)] public uint Offset;      // m.offset for V4L2_MEMORY_MMAP
    [FieldOffset(72)] public uint Length;
    [FieldOffset(76)] public uint Reserved2;
    [FieldOffset(80)] public int RequestFd;
}

/// <summary><c>struct v4l2_timecode</c>, 16 bytes (unused; here so <see cref="V4l2Buffer"/> spells out its layout).</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal unsafe struct V4l2Timecode
{
    [FieldOffset(0)] public uint Type;
    [FieldOffset(4)] public uint Flags;
    [FieldOffset(8)] public fixed byte FramesSecondsMinutesHoursUserbits[8];
}

/// <summary><c>struct pollfd</c>, 8 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PollFd
{
    public int Fd;
    public short Events;
    public short Revents;
}
