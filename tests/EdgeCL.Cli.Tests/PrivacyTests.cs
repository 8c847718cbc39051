using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace EdgeCL.Cli.Tests;

/// <summary>
/// What a device writes and sends (#18): the CLI and the agent, run with an empty HOME and without ORT_DISABLE_TELEMETRY in
/// their environment, leave nothing under HOME (ONNX Runtime's telemetry queue and device id included), and the agent's
/// only sockets are its broker's and its page's.
/// </summary>
public sealed partial class PrivacyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-privacy-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string Models => Path.Combine(RealBackboneTests.RepoRoot, "models");

    [Fact]
    public void Cli_commands_write_nothing_under_home_even_when_onnx_runtime_fails()
    {
        string home = Directory.CreateDirectory(Path.Combine(_dir, "home")).FullName;
        string corrupt = Path.Combine(_dir, "corrupt.onnx");
        File.WriteAllText(corrupt, "not a model");
        var (ok, output) = AgentProcess.Run(home, "model", "inspect", Path.Combine(Models, "digits", "digits-cnn.onnx"));
        Assert.True(ok == 0, output);
        var (failed, error) = AgentProcess.Run(home, "model", "inspect", corrupt);
        Assert.NotEqual(0, failed);
        Assert.Contains("protobuf parsing failed", error, StringComparison.Ordinal); // the error ORT would have queued as an event
        Assert.Empty(AgentProcess.Tree(home));
    }

    [Fact]
    public async Task The_agent_writes_nothing_under_home_and_opens_only_its_broker_page_and_heartbeat_sockets()
    {
        if (!OperatingSystem.IsLinux())
            return; // reads /proc
        string home = Directory.CreateDirectory(Path.Combine(_dir, "home")).FullName;
        string inbox = Directory.CreateDirectory(Path.Combine(_dir, "inbox", "seven")).FullName;
        File.Copy(Path.Combine(Models, "digits", "samples", "7_0000.pgm"), Path.Combine(inbox, "a.pgm"));
        File.Copy(Path.Combine(Models, "digits", "samples", "7_0000.pgm"), Path.Combine(_dir, "inbox", "query.pgm"));
        File.WriteAllText(Path.Combine(_dir, "inbox", "broken.png"), "not an image"); // a decode error through ONNX Runtime's caller
        int brokerPort = FreePort();
        string config = Path.Combine(_dir, "device.json");
        File.WriteAllText(config, $$"""
            { "device_id": "privacy-dev", "fleet": "p", "backbone": "digits", "models_root": "{{Models}}", "state_dir": "state",
              "sync": { "broker": "embedded", "embedded_port": {{brokerPort}} },
              "sources": [ { "type": "folder", "path": "inbox", "labels_from_folders": true, "poll_ms": 50 } ],
              "web": { "listen": "127.0.0.1:0" }, "status": { "interval_seconds": 0.5 } }
            """);
        using AgentProcess agent = AgentProcess.Start(home, ["run", "--config", config]);
        int webPort = int.Parse(PageLine().Match(agent.WaitFor("device page on")).Groups["port"].Value, CultureInfo.InvariantCulture);
        agent.WaitFor("learned label=seven");
        agent.WaitFor("rejected reason=decode");
        using (var client = new HttpClient())
            Assert.Contains("privacy-dev", await client.GetStringAsync($"http://127.0.0.1:{webPort}/api/state"), StringComparison.Ordinal);
        await Task.Delay(700); // a status publication or two

        IReadOnlyList<string> sockets = Sockets(agent.Process.Id);
        Assert.NotEmpty(sockets);
        // Besides TCP to the broker and the page, only the heartbeat `edgecl status` asks: an abstract Unix socket,
        // local to the machine, named after the state folder.
        string heartbeat = "unix @" + EdgeCL.Device.Agent.HealthSocket.NameFor(Path.Combine(_dir, "state"))[1..];
        foreach (string socket in sockets)
            Assert.True(socket == heartbeat || socket.StartsWith("tcp", StringComparison.Ordinal) && (Ports(socket).Contains(brokerPort) || Ports(socket).Contains(webPort)),
                $"socket {socket} is neither the broker's ({brokerPort}), the page's ({webPort}) nor the heartbeat ({heartbeat}); all: {string.Join("; ", sockets)}");

        Assert.Equal(0, agent.Stop());
        Assert.Empty(AgentProcess.Tree(home));
        Assert.DoesNotContain(AgentProcess.Tree(Path.Combine(_dir, "state")), p => p.Contains(".onnxruntime", StringComparison.Ordinal));
    }

    /// <summary>The process's sockets as "tcp 127.0.0.1:1883 -> 127.0.0.1:40000", "udp ...", "unix ..." or "other inode".</summary>
    internal static IReadOnlyList<string> Sockets(int pid)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (string fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
                    inodes.Add(target[8..^1]);
            }
            catch (IOException)
            {
                // closed while listing
            }
        }
        var found = new List<string>();
        foreach (string table in new[] { "tcp", "tcp6", "udp", "udp6" })
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/net/{table}").Skip(1))
            {
                string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length > 9 && inodes.Remove(f[9]))
                    found.Add($"{table.TrimEnd('6')} {Endpoint(f[1])} -> {Endpoint(f[2])}");
            }
        }
        foreach (string line in File.ReadLines($"/proc/{pid}/net/unix").Skip(1))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length > 6 && inodes.Remove(f[6]))
                found.Add($"unix {(f.Length > 7 ? f[7] : "(unnamed)")}");
        }
        found.AddRange(inodes.Select(i => $"other socket inode {i} (netlink or similar)"));
        return found;
    }

    private static string Endpoint(string hex)
    {
        string[] parts = hex.Split(':');
        int port = int.Parse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        byte[] raw = Convert.FromHexString(parts[0]);
        // /proc prints each 32-bit word in host (little-endian) order.
        for (int i = 0; i < raw.Length; i += 4)
            Array.Reverse(raw, i, 4);
        return new IPEndPoint(new IPAddress(raw), port).ToString();
    }

    private static int[] Ports(string socket) =>
        PortPattern().Matches(socket).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToArray();

    internal static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [GeneratedRegex(@"device page on http://127\.0\.0\.1:(?<port>\d+)")]
    private static partial Regex PageLine();

    [GeneratedRegex(@":(\d+)(?= |$)")]
    private static partial Regex PortPattern();
}
