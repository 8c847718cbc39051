using System.Runtime.InteropServices;

namespace EdgeCL.Device.Sources.Camera.V4l2;

/// <summary>The real system calls, through source-generated <see cref="LibraryImportAttribute"/> stubs (nothing marshalled at run time).</summary>
/// <remarks>
/// <c>ioctl</c> and <c>open</c> are variadic in C; on the Linux x86-64 and arm64 ABIs a variadic call passes its arguments as
/// a fixed-argument call does, so declaring the one argument used is correct there (the only platforms edgecl ships for).
/// </remarks>
internal sealed unsafe partial class LinuxV4l2Io : IV4l2Io
{
    public static readonly LinuxV4l2Io Instance = new();

    private const int ReadWrite = 2, NonBlocking = 0x800, CloseOnExec = 0x80000;
    private const int ProtRead = 1, ProtWrite = 2, MapShared = 1;

    private LinuxV4l2Io()
    {
    }

    public int Open(string path, out int fd)
    {
        do
        {
            fd = SysOpen(path, ReadWrite | NonBlocking | CloseOnExec);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == V4l2Abi.EINTR);
        return fd < 0 ? Marshal.GetLastPInvokeError() : 0;
    }

    public int Ioctl<T>(int fd, uint request, ref T argument) where T : unmanaged
    {
        fixed (T* pointer = &argument)
        {
            int result;
            do
            {
                result = SysIoctl(fd, request, pointer);
            }
            while (result < 0 && Marshal.GetLastPInvokeError() == V4l2Abi.EINTR);
            return result < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
    }

    public int Map(int fd, uint length, uint offset, out nint address)
    {
        address = SysMmap(0, length, ProtRead | ProtWrite, MapShared, fd, offset);
        if (address != -1) // MAP_FAILED
            return 0;
        address = 0;
        return Marshal.GetLastPInvokeError();
    }

    public void Unmap(nint address, uint length) => _ = SysMunmap(address, length);

    public int Poll(int fd, int timeoutMs, out short events)
    {
        var descriptor = new PollFd { Fd = fd, Events = V4l2Abi.PollIn };
        int ready = SysPoll(&descriptor, 1, timeoutMs);
        events = ready > 0 ? descriptor.Revents : (short)0;
        if (ready >= 0)
            return 0;
        int errno = Marshal.GetLastPInvokeError();
        return errno == V4l2Abi.EINTR ? 0 : errno; // a signal: as a timeout, the caller polls again
    }

    public void Close(int fd) => _ = SysClose(fd);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SysOpen(string path, int flags);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int SysIoctl(int fd, nuint request, void* argument);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint SysMmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int SysMunmap(nint address, nuint length);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int SysPoll(PollFd* descriptors, nuint count, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int SysClose(int fd);
}
