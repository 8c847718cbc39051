using System.Runtime.InteropServices;

namespace EdgeCL.Device.Sources.Camera.V4l2;

/// <summary>An errno as a message: its name and the C library's text ("ENODEV, No such device").</summary>
internal static class Errno
{
    public static string Describe(int errno)
    {
        string name = errno switch
        {
            V4l2Abi.EPERM => "EPERM",
            V4l2Abi.ENOENT => "ENOENT",
            V4l2Abi.EIO => "EIO",
            V4l2Abi.ENXIO => "ENXIO",
            V4l2Abi.EAGAIN => "EAGAIN",
            V4l2Abi.ENOMEM => "ENOMEM",
            V4l2Abi.EACCES => "EACCES",
            V4l2Abi.EBUSY => "EBUSY",
            V4l2Abi.ENODEV => "ENODEV",
            V4l2Abi.EINVAL => "EINVAL",
            V4l2Abi.ENOTTY => "ENOTTY",
            _ => $"errno {errno}",
        };
        return $"{name}, {Marshal.GetPInvokeErrorMessage(errno)}";
    }
}
