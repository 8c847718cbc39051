using System.Diagnostics;

namespace EdgeCL.Storage.Tests;

/// <summary>A small tmpfs mounted on a temporary folder: a real disk that fills up. Needs root (CI runs as root).</summary>
internal sealed class TmpfsMount : IDisposable
{
    private TmpfsMount(string path) => Path = path;

    public string Path { get; }

    /// <summary>Mounts a tmpfs of <paramref name="sizeKilobytes"/> KiB, or returns null with the reason it was refused.</summary>
    public static TmpfsMount? TryCreate(int sizeKilobytes, out string reason)
    {
        reason = string.Empty;
        if (!OperatingSystem.IsLinux())
        {
            reason = "tmpfs mounts need Linux";
            return null;
        }
        string path = Directory.CreateTempSubdirectory("edgecl-tmpfs-").FullName;
        if (Run("mount", $"-t tmpfs -o size={sizeKilobytes}k,mode=0700 tmpfs {path}", out string error))
            return new TmpfsMount(path);
        Directory.Delete(path);
        reason = $"'mount -t tmpfs' was refused ({error.ReplaceLineEndings(" ").Trim()}); run the tests as root to cover the full-disk case";
        return null;
    }

    public void Dispose()
    {
        if (!Run("umount", Path, out _))
            Run("umount", $"-l {Path}", out _); // lazy unmount if a handle is still closing
        try
        {
            Directory.Delete(Path);
        }
        catch (IOException)
        {
            // Still busy: left for the OS temp cleaner.
        }
    }

    private static bool Run(string file, string arguments, out string error)
    {
        try
        {
            var start = new ProcessStartInfo(file, arguments) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            using Process process = Process.Start(start)!;
            error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            error = ex.Message;
            return false;
        }
    }
}
