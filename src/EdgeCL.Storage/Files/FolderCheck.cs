using System.Runtime.InteropServices;

namespace EdgeCL.Storage.Files;

/// <summary>Whether a folder can be created and written by this process, checked without writing anything (for <c>--check</c>).</summary>
public static partial class FolderCheck
{
    private const int WriteOk = 2, ExecuteOk = 1;
    private const int Eacces = 13, Erofs = 30;

    /// <summary>Why <paramref name="folder"/> cannot be created or written to, or null when it can (as far as the OS says).</summary>
    /// <remarks>Walks up to the nearest existing folder (a file in the way is the answer) and asks the OS (<c>access(2)</c>,
    /// which also reports a read-only mount) whether this user may create entries in it. Nothing is created.</remarks>
    public static string? WhyNotWritable(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        string? existing = Path.GetFullPath(folder);
        while (existing is not null && !Directory.Exists(existing))
        {
            if (File.Exists(existing))
                return $"'{existing}' is a file, not a folder";
            existing = Path.GetDirectoryName(existing);
        }
        if (existing is null)
            return "no part of the path exists";
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return null;
        if (Access(existing, WriteOk | ExecuteOk) == 0)
            return null;
        int errno = Marshal.GetLastPInvokeError();
        string why = errno switch
        {
            Erofs => "is on a read-only file system",
            Eacces => "is not writable by this user",
            _ => $"cannot be written (errno {errno})",
        };
        return $"'{existing}' {why}";
    }

    [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Access(string path, int mode);
}
