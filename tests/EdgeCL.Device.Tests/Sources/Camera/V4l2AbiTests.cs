using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EdgeCL.Device.Sources.Camera.V4l2;

namespace EdgeCL.Device.Tests.Sources.Camera;

/// <summary>
/// The struct sizes, field offsets and ioctl request numbers of the V4L2 capture, pinned to what &lt;linux/videodev2.h&gt;
/// gives with gcc on x86-64 and with aarch64-linux-gnu-gcc (run under qemu-aarch64) on arm64: the two printed identical
/// tables (sizeof, offsetof and the VIDIOC_* macros of kernel headers 6.x).
/// </summary>
public sealed class V4l2AbiTests
{
    [Fact]
    public void StructSizes_MatchTheKernelHeaderOnLp64()
    {
        Assert.Equal(104, Unsafe.SizeOf<V4l2Capability>());
        Assert.Equal(64, Unsafe.SizeOf<V4l2FmtDesc>());
        Assert.Equal(48, Unsafe.SizeOf<V4l2PixFormat>());
        Assert.Equal(208, Unsafe.SizeOf<V4l2Format>());
        Assert.Equal(44, Unsafe.SizeOf<V4l2FrmSizeEnum>());
        Assert.Equal(20, Unsafe.SizeOf<V4l2RequestBuffers>());
        Assert.Equal(88, Unsafe.SizeOf<V4l2Buffer>());
        Assert.Equal(16, Unsafe.SizeOf<V4l2Timecode>());
        Assert.Equal(8, Unsafe.SizeOf<PollFd>());
    }

    [Theory]
    [InlineData(typeof(V4l2FmtDesc), "PixelFormat", 44)]
    [InlineData(typeof(V4l2Format), "Pix", 8)]
    [InlineData(typeof(V4l2FrmSizeEnum), "Width", 12)]
    [InlineData(typeof(V4l2Buffer), "TimestampSeconds", 24)]
    [InlineData(typeof(V4l2Buffer), "Timecode", 40)]
    [InlineData(typeof(V4l2Buffer), "Sequence", 56)]
    [InlineData(typeof(V4l2Buffer), "Memory", 60)]
    [InlineData(typeof(V4l2Buffer), "Offset", 64)]
    [InlineData(typeof(V4l2Buffer), "Length", 72)]
    [InlineData(typeof(V4l2Buffer), "RequestFd", 80)]
    public void FieldOffsets_MatchTheKernelHeaderOnLp64(Type type, string field, int offset) =>
        Assert.Equal(offset, (int)Marshal.OffsetOf(type, field));

    [Fact]
    public void IoctlRequestNumbers_MatchTheKernelHeader()
    {
        Assert.Equal(0x80685600u, V4l2Abi.QueryCap);
        Assert.Equal(0xC0405602u, V4l2Abi.EnumFormat);
        Assert.Equal(0xC0D05605u, V4l2Abi.SetFormat);
        Assert.Equal(0xC0145608u, V4l2Abi.RequestBuffers);
        Assert.Equal(0xC0585609u, V4l2Abi.QueryBuffer);
        Assert.Equal(0xC058560Fu, V4l2Abi.QueueBuffer);
        Assert.Equal(0xC0585611u, V4l2Abi.DequeueBuffer);
        Assert.Equal(0x40045612u, V4l2Abi.StreamOn);
        Assert.Equal(0x40045613u, V4l2Abi.StreamOff);
        Assert.Equal(0xC02C564Au, V4l2Abi.EnumFrameSizes);
    }

    [Fact]
    public void FourCc_MatchesTheKernelCodes()
    {
        Assert.Equal(0x56595559u, V4l2Abi.FourCc("YUYV"));
        Assert.Equal(0x47504A4Du, V4l2Abi.FourCc("MJPG"));
        Assert.Equal(0x4745504Au, V4l2Abi.FourCc("JPEG"));
        Assert.Equal(0x59455247u, V4l2Abi.FourCc("GREY"));
        Assert.Equal(0x33424752u, V4l2Abi.FourCc("RGB3"));
        Assert.Equal(0x33524742u, V4l2Abi.FourCc("BGR3"));
        Assert.Equal("YUYV", V4l2Abi.FourCcText(0x56595559u));
    }
}
