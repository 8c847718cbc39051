using System.Diagnostics;
using System.Globalization;

namespace EdgeCL.Storage.Tests.Faults;

/// <summary>Builds <c>ops/faults/powerloss.so</c> and runs this test assembly's child modes under it.</summary>
internal static class PowerLossShim
{
    /// <summary>SIGKILL's exit code as .NET reports it (128 + 9): how a run the shim cut ends.</summary>
    public const int CutExitCode = 137;

    /// <summary>Builds the shim with <c>ops/faults/build.sh</c> (a no-op when it is up to date) and returns its path.</summary>
    public static string Build()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "EdgeCL.sln")))
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("EdgeCL.sln not found above the test binaries.");
        var start = new ProcessStartInfo("bash", [Path.Combine(root, "ops", "faults", "build.sh")]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process build = Process.Start(start)!;
        Task<string> stderr = build.StandardError.ReadToEndAsync();
        string stdout = build.StandardOutput.ReadToEnd();
        build.WaitForExit();
        Assert.True(build.ExitCode == 0, $"ops/faults/build.sh failed: {stderr.Result}");
        return stdout.Trim();
    }

    /// <summary>
    /// Runs <c>dotnet exec</c> this assembly with <paramref name="args"/> under the shim, watching <paramref name="state"/>;
    /// the power is cut at watched call <paramref name="cutAt"/> (0: never), and <paramref name="fail"/> fails write-side calls.
    /// Returns the child's stdout lines; a child that writes to stderr without being cut fails the test.
    /// </summary>
    public static List<string> Run(string shim, string state, string journal, string[] args, int cutAt, (int At, int Errno, int Count)? fail, out int exitCode)
    {
        var start = new ProcessStartInfo(ChildProcess.DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(ChildProcess.Assembly);
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        start.Environment["LD_PRELOAD"] = shim;
        start.Environment["POWERLOSS_DIR"] = state;
        start.Environment["POWERLOSS_JOURNAL"] = journal;
        start.Environment["POWERLOSS_CUT_AT"] = cutAt.ToString(CultureInfo.InvariantCulture);
        if (fail is { } f)
        {
            start.Environment["POWERLOSS_FAIL_AT"] = f.At.ToString(CultureInfo.InvariantCulture);
            start.Environment["POWERLOSS_FAIL_ERRNO"] = f.Errno.ToString(CultureInfo.InvariantCulture);
            start.Environment["POWERLOSS_FAIL_COUNT"] = f.Count.ToString(CultureInfo.InvariantCulture);
        }
        using Process child = Process.Start(start) ?? throw new InvalidOperationException($"Could not start the {args[0]}.");
        Task<string> errors = child.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        string? line;
        while ((line = child.StandardOutput.ReadLine()) is not null)
            lines.Add(line);
        if (!child.WaitForExit(60_000))
        {
            child.Kill();
            throw new Xunit.Sdk.XunitException($"the {args[0]} hung: {string.Join(" | ", lines.TakeLast(5))}");
        }
        exitCode = child.ExitCode;
        string stderr = errors.Result;
        if (stderr.Length > 0 && exitCode != CutExitCode)
            throw new Xunit.Sdk.XunitException($"the {args[0]} wrote to stderr (exit {exitCode}): {stderr}");
        return lines;
    }

    /// <summary>Appends a line to the file named by <c>EDGECL_POWERLOSS_PROGRESS</c>, if set (long runs report as they go).</summary>
    public static void Progress(string line)
    {
        if (Environment.GetEnvironmentVariable("EDGECL_POWERLOSS_PROGRESS") is { Length: > 0 } path)
            File.AppendAllText(path, $"{DateTime.UtcNow:HH:mm:ss} {line}\n");
    }

    /// <summary>Replaces <paramref name="to"/> with a copy of the files in <paramref name="from"/>.</summary>
    public static void CopyFolder(string from, string to)
    {
        EmptyFolder(to);
        foreach (string file in Directory.GetFiles(from))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }

    /// <summary>Makes <paramref name="path"/> an empty folder.</summary>
    public static void EmptyFolder(string path)
    {
        if (Directory.Exists(path))
            Directory.Delete(path, recursive: true);
        Directory.CreateDirectory(path);
    }
}
