using System.CommandLine;
using System.Diagnostics;
using EdgeCL.Device.Agent;
using EdgeCL.Device.Config;
using EdgeCL.Sync.Status;

namespace EdgeCL.Cli.Commands;

/// <summary><c>edgecl status</c>: what the local agent last reported (its status file), and whether it is still running.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config", "-c") { Description = "The device config (its state_dir holds status.json)." };
        var stateDir = new Option<string?>("--state-dir") { Description = "The agent's state folder, instead of --config." };
        var json = CommonOptions.Json();
        var command = new Command("status", "Show the local agent's health: model, provider, classes, adaptation, counters, sync; exit 1 when it is not running or not answering.") { config, stateDir, json };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(token =>
        {
            string folder;
            double interval = 10;
            if (parse.GetValue(stateDir) is { } dir)
                folder = dir;
            else if (parse.GetValue(config) is { } path)
            {
                DeviceConfig loaded;
                string directory;
                try
                {
                    (loaded, directory) = DeviceConfigLoader.Load(path);
                }
                catch (DeviceConfigException ex)
                {
                    foreach (string line in ex.Errors)
                        Console.Error.WriteLine($"edgecl: error: {line}");
                    return Task.FromResult(ExitCodes.Usage);
                }
                folder = Path.GetFullPath(loaded.StateDir!, directory);
                interval = loaded.Status.IntervalSeconds;
            }
            else
                throw new ArgumentException("Give --config device.json or --state-dir DIR.");
            // 1. The agent itself, over its heartbeat socket: live, and true even when its disk is full.
            if (HealthSocket.TryQuery(folder, TimeSpan.FromSeconds(3)) is { } live)
            {
                if (parse.GetValue(json))
                    Console.Out.WriteLine(StatusFile.ToJson(live));
                else
                    Print(live, 0, "running");
                return Task.FromResult(ExitCodes.Success);
            }
            // 2. No answer: what it last wrote, and whether that process still exists.
            string file = Path.Combine(folder, StatusFile.FileName);
            if (!File.Exists(file))
            {
                Console.Error.WriteLine($"edgecl: not running: no agent answers for '{folder}' and it has no {StatusFile.FileName}; the agent has not run with this state_dir yet (start it with 'edgecl run --config ...').");
                return Task.FromResult(ExitCodes.NotRunning);
            }
            LocalStatus status = StatusFile.Read(file);
            double age = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - status.TimeMs) / 1000.0;
            bool alive = IsRunning(status.ProcessId);
            bool fresh = age <= Math.Max(3 * interval, 5);
            // Linux agents answer on the socket, so a live process that does not is stuck; elsewhere a fresh file is the heartbeat.
            bool running = alive && (OperatingSystem.IsLinux() ? false : fresh);
            string state = running ? "running" : alive ? "NOT ANSWERING (process alive)" : "NOT RUNNING";
            if (parse.GetValue(json))
                Console.Out.WriteLine(File.ReadAllText(file).TrimEnd());
            else
                Print(status, age, state);
            return Task.FromResult(running ? ExitCodes.Success : ExitCodes.NotRunning);
        }, ct));
        return command;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void Print(LocalStatus status, double age, string state)
    {
        DeviceHealth h = status.Health ?? new DeviceHealth();
        TextWriter o = Console.Out;
        o.WriteLine($"device      {status.DeviceId} ({state}, pid {status.ProcessId}, {(age == 0 ? "live" : $"status {age:0.#} s old")}, up {h.UptimeSeconds} s)");
        o.WriteLine($"model       {h.Model} on {h.Provider}, {h.Dimension}-d, learner {h.Learner}"
            + (h.ConfigModel is { } configured ? $" (chosen by a new_backbone command in state_dir/backbone.override; the config says {configured})" : ""));
        o.WriteLine($"classes     {h.OwnClasses} own, {h.FleetClasses} in the fleet view{(h.Teaching is { } t ? $"; teaching '{t}'" : "")}");
        o.WriteLine($"adaptation  {h.Adaptation} ({h.AdaptationResets} resets)");
        o.WriteLine($"samples     {h.Recognised} recognised, {h.Learned} learned, sources {h.Sources}");
        o.WriteLine($"sync        {(h.Connected ? "connected" : "offline")}, {h.PendingOutbox} to send");
        if (h.Rejected is { Count: > 0 } rejected)
            o.WriteLine($"rejected    {string.Join(", ", rejected.Select(kv => $"{kv.Key} {kv.Value}"))}");
        if (h.Dropped is { Count: > 0 } dropped)
            o.WriteLine($"dropped     {string.Join(", ", dropped.Select(kv => $"{kv.Key} {kv.Value}"))}");
        o.WriteLine($"memory      {h.RssBytes / (1024.0 * 1024):0.0} MiB resident");
        foreach ((string id, string reason) in h.Refused ?? new Dictionary<string, string>())
            o.WriteLine($"refused     command {id}: {reason}");
        if (h.LastError is { } error)
            o.WriteLine($"last error  {error}");
    }
}
