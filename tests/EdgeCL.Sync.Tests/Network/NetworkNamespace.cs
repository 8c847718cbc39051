using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace EdgeCL.Sync.Tests.Network;

/// <summary>
/// A private network namespace (root only), held open by an <c>unshare --net cat</c> child that exits when this process
/// closes its stdin (or dies). Sockets are put inside it by creating them on a thread that has joined it
/// (<see cref="Inside{T}"/>): a socket belongs to the namespace of the thread that created it, for its whole life.
/// </summary>
public sealed partial class NetworkNamespace : IDisposable
{
    private const int CloneNewNet = 0x40000000;
    private readonly Process _holder;

    private NetworkNamespace(Process holder) => _holder = holder;

    /// <summary>The namespace file (/proc/PID/ns/net) that <c>nsenter --net=</c> and setns(2) take.</summary>
    public string Path => $"/proc/{_holder.Id}/ns/net";

    /// <summary>The holder's process id (what <c>ip link ... netns PID</c> takes).</summary>
    public int HolderId => _holder.Id;

    public static NetworkNamespace Create()
    {
        var start = new ProcessStartInfo("unshare", ["--net", "--", "cat"])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        Process holder = Process.Start(start)!;
        var ns = new NetworkNamespace(holder);
        // unshare creates the namespace and then execs cat under the same pid: wait until the pid's namespace differs from ours.
        for (int i = 0; i < 200 && !holder.HasExited; i++)
        {
            if (File.Exists(ns.Path) && ReadLink(ns.Path) != ReadLink("/proc/self/ns/net"))
                return ns;
            Thread.Sleep(10);
        }
        ns.Dispose();
        throw new InvalidOperationException($"unshare --net did not create a namespace (exit {(holder.HasExited ? holder.ExitCode : -1)}): {holder.StandardError.ReadToEnd()}");
    }

    /// <summary>Runs <paramref name="script"/> with sh inside the namespace (through nsenter); throws with its output when it fails.</summary>
    public void Run(string script)
    {
        var start = new ProcessStartInfo("nsenter", [$"--net={Path}", "sh", "-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process p = Process.Start(start)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"in namespace {Path}: `{script}` failed ({p.ExitCode}): {output.Trim()}");
    }

    /// <summary>Runs <paramref name="create"/> on a fresh thread that has joined this namespace (the thread ends with it).</summary>
    public T Inside<T>(Func<T> create)
    {
        T result = default!;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using SafeFileHandle ns = File.OpenHandle(Path);
                if (SetNs(ns.DangerousGetHandle().ToInt32(), CloneNewNet) != 0)
                    throw new IOException($"setns({Path}) failed: errno {Marshal.GetLastPInvokeError()}");
                result = create();
            }
            catch (Exception ex)
            {
                error = ex;
            }
        });
        thread.Start();
        thread.Join();
        if (error is not null)
            throw new InvalidOperationException($"inside namespace {Path}: {error.Message}", error);
        return result;
    }

    public void Dispose()
    {
        try
        {
            _holder.StandardInput.Close(); // cat sees end of input and exits; the namespace goes with its last socket
            if (!_holder.WaitForExit(2000))
                _holder.Kill();
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        _holder.Dispose();
    }

    private static string? ReadLink(string path) => new FileInfo(path).LinkTarget;

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);
}
