using System.Diagnostics;
using System.Text;
using EdgeCL.Sync.Client;

namespace EdgeCL.Sync.Tests.Brokers;

/// <summary>
/// A real mosquitto (the Debian package) on a free loopback port, configured with ops/mosquitto/acl and a password file
/// (or, with <c>tls</c>, the certificates from ops/mosquitto/make-certs.sh). Killed with SIGKILL on dispose.
/// </summary>
public sealed class MosquittoHarness : IBrokerHarness
{
    private static readonly Lazy<string> s_passwordFile = new(CreatePasswordFile);
    private static readonly Lazy<string> s_pki = new(CreatePki);
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-mosquitto-").FullName;
    private readonly bool _tls;
    private Process? _process;

    private readonly int? _bridgeToPort;

    /// <param name="tls">Listen with TLS and client certificates instead of passwords.</param>
    /// <param name="bridgeToPort">When set, bridge to a plain mosquitto on this loopback port with the topic lines of
    /// ops/mosquitto/bridge.conf (so the shipped bridge configuration is what the tests exercise).</param>
    public MosquittoHarness(bool tls = false, int? bridgeToPort = null)
    {
        _tls = tls;
        _bridgeToPort = bridgeToPort;
        Port = FreePort.Next();
    }

    public string Kind => _tls ? "mosquitto-tls" : "mosquitto";

    public int Port { get; }

    public static string PkiDirectory => s_pki.Value;

    public string LogPath => Path.Combine(_dir, "mosquitto.log");

    public async Task StartAsync()
    {
        string conf = Path.Combine(_dir, "mosquitto.conf");
        var lines = new List<string>
        {
            "per_listener_settings false",
            "allow_anonymous false",
            $"listener {Port} 127.0.0.1",
            $"acl_file {RepoPaths.Ops("mosquitto", "acl")}",
            "persistence false",
            $"log_dest file {LogPath}",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            $"user {Environment.UserName}",
            // Fleet bursts (a rebirth of every class) must not hit the default queue of 1000 per client: it drops silently.
            // Large but finite: 0 (unlimited) makes mosquitto 2.0.11 drop an MQTT 5 bridge connecting to it.
            "max_queued_messages 100000",
            "max_inflight_messages 100",
        };
        if (_tls)
        {
            string pki = PkiDirectory;
            lines.AddRange([
                $"cafile {Path.Combine(pki, "ca.crt")}",
                $"certfile {Path.Combine(pki, "broker.crt")}",
                $"keyfile {Path.Combine(pki, "broker.key")}",
                "require_certificate true",
                "use_identity_as_username true",
                "tls_version tlsv1.2",
            ]);
        }
        else
        {
            lines.Add($"password_file {s_passwordFile.Value}");
        }
        if (_bridgeToPort is { } remote)
        {
            lines.AddRange([
                "connection edgecl-test-bridge",
                $"address 127.0.0.1:{remote}",
                "bridge_protocol_version mqttv50",
                $"remote_clientid edgecl-bridge-{Port}",
                $"remote_username {TestUsers.Operator}",
                $"remote_password {TestUsers.Password(TestUsers.Operator)}",
                "cleansession true",
                "try_private true",
                "restart_timeout 1 2",
            ]);
            lines.AddRange(File.ReadLines(RepoPaths.Ops("mosquitto", "bridge.conf")).Where(l => l.StartsWith("topic ", StringComparison.Ordinal)));
        }
        await File.WriteAllLinesAsync(conf, lines);
        var start = new ProcessStartInfo("mosquitto", ["-c", conf]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("mosquitto is not installed; run ops/setup.sh (apt-get install mosquitto).", ex);
        }
        _process = process;
        // mosquitto logs "mosquitto version X running" once its listeners are open: wait for that line, not for a timer.
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                running.TrySetException(new InvalidOperationException("mosquitto exited"));
                return;
            }
            lock (log)
                log.AppendLine(e.Data);
            if (e.Data.Contains(" running", StringComparison.Ordinal))
                running.TrySetResult();
        };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            await running.Task.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            if (!process.HasExited)
                process.Kill();
            await process.WaitForExitAsync();
            string text;
            lock (log)
                text = log.ToString();
            throw new InvalidOperationException($"mosquitto did not start on port {Port} within 5 s (exit {process.ExitCode}); its log:\n{text}");
        }
    }

    public async Task KillAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(); // SIGKILL: no chance to save anything
            await p.WaitForExitAsync();
        }
        _process?.Dispose();
        _process = null;
    }

    public FleetBrokerOptions ForDevice(string device) => _tls
        ? new()
        {
            Host = "127.0.0.1",
            Port = Port,
            CaCertificatePath = Path.Combine(PkiDirectory, "ca.crt"),
            ClientCertificatePath = Path.Combine(PkiDirectory, $"{device}.crt"),
            ClientKeyPath = Path.Combine(PkiDirectory, $"{device}.key"),
        }
        : new() { Host = "127.0.0.1", Port = Port, UserName = device, Password = TestUsers.Password(device) };

    public FleetBrokerOptions ForOperator() => _tls ? ForDevice(TestUsers.Operator)
        : new() { Host = "127.0.0.1", Port = Port, UserName = TestUsers.Operator, Password = TestUsers.Password(TestUsers.Operator) };

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string CreatePasswordFile()
    {
        string dir = Directory.CreateTempSubdirectory("edgecl-mosquitto-users-").FullName;
        string file = Path.Combine(dir, "passwd");
        File.WriteAllText(file, "");
        foreach (string user in TestUsers.Devices.Append(TestUsers.Operator))
            Run("mosquitto_passwd", "-b", file, user, TestUsers.Password(user));
        return file;
    }

    private static string CreatePki()
    {
        string dir = Directory.CreateTempSubdirectory("edgecl-pki-").FullName;
        Run("bash", [RepoPaths.Ops("mosquitto", "make-certs.sh"), dir, "127.0.0.1", .. TestUsers.Devices, TestUsers.Operator]);
        return dir;
    }

    private static void Run(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string err = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {err}");
    }
}
