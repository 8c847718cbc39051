using System.Diagnostics.CodeAnalysis;

namespace EdgeCL.Device.Sources.Camera;

/// <summary>Whether this build captures with Iot.Device.Bindings' V4L2 <c>VideoDevice</c>.</summary>
/// <remarks>
/// On in JIT builds (dotnet run, tests). Off in the Native AOT publish (EdgeCL.Cli.csproj sets the switch with Trim="true", so the
/// compiler drops the capture): Iot.Device.Bindings 4.2.0's V4L2 interop is not AOT-safe. Its ioctl helpers marshal
/// non-blittable structs (ByValTStr strings, ByValArray arrays) through Marshal.SizeOf(Type) and PtrToStructure&lt;T&gt;, which
/// the AOT compiler reports as IL3050 and IL2091, and the publish must stay warning-free.
/// </remarks>
internal static class CameraFeature
{
    /// <summary>The runtime switch name.</summary>
    public const string Switch = "EdgeCL.Device.V4l2Camera";

    /// <summary>The one line a camera source says where capture is off.</summary>
    public const string OffMessage =
        "camera: this edgecl is the Native AOT build, which leaves out Iot.Device.Bindings' V4L2 capture (not AOT-safe in 4.2.0: IL3050/IL2091 in its ioctl interop); " +
        "use a raw-frames source fed by ffmpeg -f v4l2 -i /dev/video0 ... -f rawvideo - (device/README.md), or run the agent with dotnet";

    /// <summary>True unless the switch is set to false.</summary>
    [FeatureSwitchDefinition(Switch)]
    public static bool IsSupported => !AppContext.TryGetSwitch(Switch, out bool on) || on;
}
