using System.Runtime.InteropServices;
using EdgeCL.Device.Sources.Camera.V4l2;

namespace EdgeCL.Device.Tests.Sources.Camera;

/// <summary>A fact that needs the kernel's virtual camera (<c>modprobe vivid</c>); skipped, with the reason, where there is none.</summary>
/// <remarks>xunit 2 has no dynamic skip, so the probe runs when the test is discovered. The build VM has no vivid module.</remarks>
[AttributeUsage(AttributeTargets.Method)]
public sealed class VividFactAttribute : FactAttribute
{
    /// <summary>The first /dev/videoN whose driver is vivid, or null.</summary>
    internal static readonly Lazy<string?> Device = new(Find);

    public VividFactAttribute()
    {
        if (Device.Value is null)
            Skip = "no vivid virtual camera (/dev/video* with driver 'vivid'); run 'modprobe vivid' as root to test against the kernel's V4L2";
    }

    private static string? Find()
    {
        if (!OperatingSystem.IsLinux())
            return null;
        foreach (string node in Directory.GetFiles("/dev", "video*").Order(StringComparer.Ordinal))
        {
            if (LinuxV4l2Io.Instance.Open(node, out int fd) != 0)
                continue;
            var capability = new V4l2Capability();
            bool vivid = LinuxV4l2Io.Instance.Ioctl(fd, V4l2Abi.QueryCap, ref capability) == 0
                && (capability.DeviceCaps & V4l2Abi.CapVideoCapture) != 0
                && MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref capability, 1))[..16].StartsWith("vivid"u8);
            LinuxV4l2Io.Instance.Close(fd);
            if (vivid)
                return node;
        }
        return null;
    }
}

/// <summary>The real kernel path: the capture against vivid's test pattern, when the module is loaded.</summary>
public sealed class VividCameraTests
{
    [VividFact]
    public async Task Capture_VividTestPattern_StreamsFramesInEachChannelCount()
    {
        foreach (int channels in new[] { 1, 3 })
        {
            using var capture = new V4l2Capture(VividFactAttribute.Device.Value!, channels);
            Assert.Equal(channels, capture.Open(640, 480));
            var frame = new byte[640 * 480 * channels];
            for (int i = 0; i < 5; i++)
                Assert.True(await capture.CaptureAsync(frame, CancellationToken.None));
            Assert.True(frame.Distinct().Count() > 8, "vivid's colour bars should give many distinct values");
        }
    }
}
