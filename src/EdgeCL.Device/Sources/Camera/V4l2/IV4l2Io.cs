namespace EdgeCL.Device.Sources.Camera.V4l2;

/// <summary>The system calls a V4L2 capture makes; tests put a simulated camera behind it.</summary>
/// <remarks>Every call returns 0 or the errno it failed with, as the kernel reports it (EINTR already retried).</remarks>
internal interface IV4l2Io
{
    /// <summary><c>open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)</c>.</summary>
    int Open(string path, out int fd);

    /// <summary><c>ioctl(fd, request, &amp;argument)</c>.</summary>
    int Ioctl<T>(int fd, uint request, ref T argument) where T : unmanaged;

    /// <summary><c>mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset)</c>.</summary>
    int Map(int fd, uint length, uint offset, out nint address);

    /// <summary><c>munmap(address, length)</c>.</summary>
    void Unmap(nint address, uint length);

    /// <summary><c>poll</c> on one descriptor for readability; <paramref name="events"/> is 0 when it timed out.</summary>
    int Poll(int fd, int timeoutMs, out short events);

    /// <summary><c>close(fd)</c>.</summary>
    void Close(int fd);
}
