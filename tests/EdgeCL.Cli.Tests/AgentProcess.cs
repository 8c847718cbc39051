using System.Diagnostics;
using System.Globalization;

namespace EdgeCL.Cli.Tests;

/// <summary>
/// <c>edgecl</c> as a child process (<c>dotnet exec edgecl.dll</c>) with a controlled environment: an empty HOME, and no
/// ORT_DISABLE_TELEMETRY inherited from the test run, so the binary has to turn ONNX Runtime's telemetry off by itself.
/// </summary>
internal sealed class AgentProcess : IDisposable
{
    private readonly List<string> _lines = [];

    private AgentProcess(Process process)
    {
        Process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_lines) _lines.Add(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_lines) _lines.Add(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process { get; }

    public string Output
    {
        get
        {
            lock (_lines)
                return string.Join('\n', _lines);
        }
    }

    /// <summary>Starts <c>edgecl args</c>, optionally behind a wrapper (e.g. <c>unshare -m sh -c ...</c>) and with extra environment variables.</summary>
    public static AgentProcess Start(string home, IEnumerable<string> args, IReadOnlyList<string>? wrapper = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host
            : Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        var start = new ProcessStartInfo(wrapper is null ? dotnet : wrapper[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in (wrapper ?? []).Skip(1).Concat(wrapper is null ? [] : [dotnet]).Concat(["exec", Path.Combine(AppContext.BaseDirectory, "edgecl.dll")]).Concat(args))
            start.ArgumentList.Add(arg);
        start.Environment.Remove("ORT_DISABLE_TELEMETRY");
        foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("XDG_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(name); // ONNX Runtime would fall back to HOME anyway; keep the check about HOME honest
        start.Environment["HOME"] = home;
        start.Environment["DOTNET_EnableDiagnostics"] = "0"; // the JIT host's diagnostics socket; the AOT binary has none
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        return new AgentProcess(Process.Start(start)!);
    }

    /// <summary>Runs a short command to its end; returns its exit code.</summary>
    public static (int Code, string Output) Run(string home, params string[] args)
    {
        using AgentProcess p = Start(home, args);
        if (!p.Process.WaitForExit(TimeSpan.FromMinutes(2)))
            throw new TimeoutException($"edgecl {string.Join(' ', args)} did not finish");
        p.Process.WaitForExit();
        return (p.Process.ExitCode, p.Output);
    }

    /// <summary>Waits for a line containing <paramref name="text"/>; returns it.</summary>
    public string WaitFor(string text, double seconds = 60)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            lock (_lines)
                if (_lines.FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal)) is { } line)
                    return line;
            if (Process.HasExited)
                break;
            Thread.Sleep(50);
        }
        throw new TimeoutException($"no line with '{text}'; output:\n{Output}");
    }

    /// <summary>SIGTERM (what systemd sends), then waits for a clean exit.</summary>
    public int Stop()
    {
        using (Process kill = Process.Start("kill", ["-TERM", Process.Id.ToString(CultureInfo.InvariantCulture)]))
            kill.WaitForExit();
        if (!Process.WaitForExit(TimeSpan.FromSeconds(30)))
            throw new TimeoutException($"the agent did not stop on SIGTERM; output:\n{Output}");
        Process.WaitForExit();
        return Process.ExitCode;
    }

    public void Dispose()
    {
        if (!Process.HasExited)
            Process.Kill(entireProcessTree: true);
        Process.Dispose();
    }

    /// <summary>Every file and folder under <paramref name="root"/>, relative.</summary>
    public static string[] Tree(string root) =>
        Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(root, p)).Order(StringComparer.Ordinal).ToArray();
}
