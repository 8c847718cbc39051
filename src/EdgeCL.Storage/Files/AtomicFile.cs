using System.Runtime.InteropServices;

namespace EdgeCL.Storage.Files;

/// <summary>Replaces a whole file atomically and durably: temp file, fsync, rename, fsync of the folder.</summary>
/// <remarks>After a crash or power cut at any instant the path holds either the old bytes or the new ones, never a mix.</remarks>
public static partial class AtomicFile
{
    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically and durably (creates the folder).</summary>
    /// <exception cref="IOException">The write failed (disk full, permissions); the previous file, if there was one, is unchanged.
    /// The message is one line that says what to do; a full disk is named as such (<see cref="DiskSpace.IsDiskFull"/> is true).</exception>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        // A fixed name: a temp file left by a crash is simply overwritten by the next write instead of piling up.
        string temp = full + ".tmp";
        bool existed = File.Exists(full);
        try
        {
            Directory.CreateDirectory(dir);
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.None))
            {
                stream.Write(bytes);
                stream.Flush();
                // Not stream.Flush(flushToDisk: true): on Linux it returns normally when fsync fails (EIO, ENOSPC), and
                // the rename below would then replace a good file with one a power cut can lose (found by the
                // power-loss tests, tests/EdgeCL.Storage.Tests/Faults).
                if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
                    ThrowIfFailed(Fsync(stream.SafeFileHandle), temp);
                else
                    stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (IOException ex)
        {
            TryDelete(temp);
            string kept = existed ? "the previous file is unchanged" : "nothing was written";
            if (DiskSpace.IsDiskFull(ex))
                throw new IOException($"Could not write '{full}': {DiskSpace.Describe(dir)}; {kept}: free space on that disk and retry.", ex);
            throw new IOException($"Could not write '{full}' ({ex.Message.Split('\n')[0]}); {kept}: free disk space or fix permissions and retry.", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            TryDelete(temp);
            throw new IOException($"Could not write '{full}' ({ex.Message.Split('\n')[0]}); {(existed ? "the previous file is unchanged" : "nothing was written")}: fix the folder's permissions and retry.", ex);
        }
        try
        {
            SyncDirectory(dir);
        }
        catch (IOException ex)
        {
            // The new bytes are in place and fsynced, but the rename may not survive a power cut.
            throw new IOException($"Could not make '{full}' durable ({ex.Message}); the new content is in place but a power cut may bring back the previous file: check the disk and retry.", ex.HResult);
        }
    }

    /// <summary>Makes a rename or create inside <paramref name="directory"/> durable (no-op where unsupported).</summary>
    /// <exception cref="IOException">The folder's fsync failed (EIO, ENOSPC): the rename may not survive a power cut. HResult is the errno.</exception>
    public static void SyncDirectory(string directory)
    {
        // .NET has no API for a directory fsync; without it a rename may be lost on power loss.
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return;
        int fd = Open(directory, 0 /* O_RDONLY */);
        if (fd < 0)
            return; // a folder that cannot be opened for reading: nothing to sync with, as before
        try { ThrowIfFailed(Fsync(fd), directory); } finally { _ = Close(fd); }
    }

    private static void ThrowIfFailed(int result, string path)
    {
        if (result == 0)
            return;
        int errno = Marshal.GetLastPInvokeError();
        // EINVAL, EROFS, ENOTSUP: a file system or special file with nothing to sync (as .NET's own FlushToDisk treats them).
        if (errno is 22 or 30 || errno == (OperatingSystem.IsMacOS() ? 45 : 95))
            return;
        throw new IOException($"fsync of '{path}' failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(Microsoft.Win32.SafeHandles.SafeFileHandle fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
