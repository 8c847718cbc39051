using System.Runtime.InteropServices;
using EdgeCL.Core.Errors;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Serialization;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Cli.State;

/// <summary>
/// The CLI's prototype state file, replaced atomically: write a temporary file, fsync it, rename it over the old
/// one, fsync the folder. A crash or full disk at any instant leaves either the old or the new state, never a mix.
/// </summary>
internal static partial class StateFile
{
    /// <summary>Loads a state; a missing file gives null.</summary>
    /// <exception cref="StateFormatException">Corrupt or unreadable.</exception>
    /// <exception cref="EmbeddingException">From another embedding space.</exception>
    public static PrototypeMemory? Load(string path, EmbeddingSpace? expectedSpace)
    {
        if (!File.Exists(path))
            return null;
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StateFormatException($"State file '{path}' cannot be read ({ex.Message}); check permissions.");
        }
        try
        {
            return PrototypeMemorySerializer.Deserialize(bytes, expectedSpace);
        }
        catch (StateFormatException ex)
        {
            throw new StateFormatException($"State file '{path}': {ex.Message}");
        }
        catch (EmbeddingException ex)
        {
            throw new EmbeddingException($"State file '{path}': {ex.Message}");
        }
    }

    /// <summary>Saves atomically and durably.</summary>
    /// <exception cref="IOException">The write failed (e.g. disk full); the previous state is unchanged.</exception>
    public static void Save(string path, PrototypeMemory memory)
    {
        byte[] bytes = PrototypeMemorySerializer.Serialize(memory);
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        string temp = full + ".tmp-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
            SyncDirectory(dir);
        }
        catch (IOException ex)
        {
            TryDelete(temp);
            throw new IOException($"Could not write state '{full}' ({ex.Message}); the previous state is unchanged: free disk space or fix permissions and retry.", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            TryDelete(temp);
            throw new IOException($"Could not write state '{full}' ({ex.Message}); the previous state is unchanged: fix permissions and retry.", ex);
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static void SyncDirectory(string dir)
    {
        // The rename is durable only once the directory entry is on disk; .NET has no API for a directory fsync.
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return;
        int fd = Open(dir, 0 /* O_RDONLY */);
        if (fd < 0)
            return;
        try { _ = Fsync(fd); } finally { _ = Close(fd); }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
