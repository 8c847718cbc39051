using System.Text.RegularExpressions;

namespace EdgeCL.Cli.Tests;

/// <summary>
/// The agent under the shipped unit's hardening (#18 0b.iii). systemd cannot run units on this test machine (PID 1 is not
/// systemd), so the test (1) checks that device/edgecl.service carries the settings, and (2) reproduces what they do to the
/// file system with a private mount namespace (as root): every mount read-only (ProtectSystem=strict) except the state
/// folder (ReadWritePaths), /root and /home replaced by empty read-only folders (ProtectHome=yes). The agent must start,
/// learn, serve its page and stop cleanly with nothing failing.
/// </summary>
public sealed partial class HardeningTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-hardening-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void The_unit_keeps_the_agent_to_its_state_folder_and_telemetry_off()
    {
        string unit = File.ReadAllText(Path.Combine(RealBackboneTests.RepoRoot, "device", "edgecl.service"));
        var settings = Setting().Matches(unit).Select(m => (Key: m.Groups["key"].Value, Value: m.Groups["value"].Value.Trim())).ToList();
        string Single(string key) => Assert.Single(settings, s => s.Key == key).Value;
        Assert.Equal("strict", Single("ProtectSystem"));
        Assert.Equal("yes", Single("ProtectHome"));
        Assert.Equal("yes", Single("PrivateTmp"));
        Assert.Equal("yes", Single("NoNewPrivileges"));
        Assert.Equal("/var/lib/edgecl", Single("ReadWritePaths")); // the only writable path...
        Assert.Equal("edgecl", Single("StateDirectory"));           // ...and it is the state folder systemd creates
        Assert.Contains(settings, s => s.Key == "Environment" && s.Value == "ORT_DISABLE_TELEMETRY=1");
        Assert.Equal("", Single("CapabilityBoundingSet"));
        foreach (string config in new[] { "pi-usb-mic.json", "jetson-orin-camera.json" })
        {
            string json = File.ReadAllText(Path.Combine(RealBackboneTests.RepoRoot, "device", "configs", config));
            Assert.Contains("\"state_dir\": \"/var/lib/edgecl\"", json, StringComparison.Ordinal);
            Assert.Matches("\"web\": \\{ \"listen\": \"127\\.0\\.0\\.1:\\d+\" \\}", json);
        }
    }

    [Fact]
    public void The_agent_runs_with_everything_read_only_but_its_state_folder()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root" || !File.Exists("/usr/bin/unshare"))
            return; // needs a private mount namespace (root); the unit-file test above still runs
        string models = Path.Combine(RealBackboneTests.RepoRoot, "models");
        string state = Directory.CreateDirectory(Path.Combine(_dir, "state")).FullName;
        string inbox = Directory.CreateDirectory(Path.Combine(state, "inbox", "seven")).FullName; // a watched folder must be writable: it lives in the state folder
        File.Copy(Path.Combine(models, "digits", "samples", "7_0000.pgm"), Path.Combine(inbox, "a.pgm"));
        string config = Path.Combine(_dir, "device.json");
        File.WriteAllText(config, $$"""
            { "device_id": "hardened", "fleet": "h", "backbone": "digits", "models_root": "{{models}}", "state_dir": "{{state}}",
              "learner": { "checkpoint_seconds": 0.2 },
              "sync": { "broker": "embedded", "embedded_port": {{PrivacyTests.FreePort()}} },
              "sources": [ { "type": "folder", "path": "{{state}}/inbox", "labels_from_folders": true, "poll_ms": 50, "done_dir": "done" } ],
              "web": { "listen": "127.0.0.1:0" }, "status": { "interval_seconds": 0.2 } }
            """);
        const string Protect = """
            set -e
            STATE="$1"; shift
            mount --make-rprivate /
            mount --bind "$STATE" "$STATE"
            for m in $(awk '{print $2}' /proc/self/mounts | sort -u); do
              case "$m" in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*|"$STATE") ;; *) mount -o remount,bind,ro "$m" 2>/dev/null || true ;; esac
            done
            mount -t tmpfs -o ro,mode=0755 tmpfs /root
            mount -t tmpfs -o ro,mode=0755 tmpfs /home
            touch /usr/edgecl-probe 2>/dev/null && { echo "hardening: / is still writable" >&2; exit 3; }
            touch "$STATE/probe" && rm "$STATE/probe"
            exec "$@"
            """;
        using AgentProcess agent = AgentProcess.Start("/root", ["run", "--config", config], ["unshare", "-m", "sh", "-c", Protect, "protect", state]);
        agent.WaitFor("device page on");
        agent.WaitFor("learned label=seven");
        Thread.Sleep(600); // checkpoints, status files, broker persistence
        Assert.Equal(0, agent.Stop());
        string output = agent.Output;
        Assert.DoesNotMatch("(?m)^\\S+ (error|crit |warn ) ", output);
        Assert.Contains("stopped recognised=0 learned=1", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(state, "status.json")));
    }

    [GeneratedRegex(@"(?m)^(?<key>[A-Za-z]+)=(?<value>.*)$")]
    private static partial Regex Setting();
}
