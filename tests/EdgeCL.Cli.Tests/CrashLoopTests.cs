using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Sessions;
using EdgeCL.Storage.State;
using EdgeCL.Sync.Broker;
using Microsoft.Data.Sqlite;
using MQTTnet;
using Xunit.Abstractions;

namespace EdgeCL.Cli.Tests;

/// <summary>
/// The device agent killed with SIGKILL at random instants while it learns files from a watched folder and syncs them to a
/// broker: no acknowledged example is lost, none is counted twice, the state always loads, and the fleet converges.
/// <c>EDGECL_CRASH_KILLS</c> sets the number of kills (default 50; <c>ops/crash-loop.sh</c> runs 1,000), <c>EDGECL_CRASH_BINARY</c> an AOT binary to kill instead of <c>dotnet edgecl.dll</c>.
/// </summary>
public sealed partial class CrashLoopTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-crash-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Agent_killed_at_random_instants_while_teaching_and_syncing_loses_no_acknowledged_example()
    {
        int kills = int.TryParse(Environment.GetEnvironmentVariable("EDGECL_CRASH_KILLS"), out int k) ? k : 50;
        int seed = int.TryParse(Environment.GetEnvironmentVariable("EDGECL_CRASH_SEED"), out int s) ? s : Environment.TickCount;
        output.WriteLine($"kills {kills}, seed {seed} (EDGECL_CRASH_SEED={seed} repeats the kill instants)");
        var random = new Random(seed);
        string models = Path.Combine(RealBackboneTests.RepoRoot, "models");
        string state = Path.Combine(_dir, "state"), inbox = Path.Combine(_dir, "inbox");
        int port = FreePort();
        await using var broker = new EmbeddedBroker(new EmbeddedBrokerOptions { Port = port, Users = [BrokerUser.WithPassword("crash-dev", "pw"), BrokerUser.WithPassword("ops", "po", isOperator: true)] });
        await broker.StartAsync();
        File.WriteAllText(Path.Combine(_dir, "password"), "pw\n");
        string config = Path.Combine(_dir, "device.json");
        File.WriteAllText(config, $$"""
            {
              "device_id": "crash-dev", "fleet": "crash", "backbone": "digits", "models_root": "{{models}}", "state_dir": "state",
              "learner": { "method": "ncm-test-centred", "checkpoint_seconds": 0.3 },
              "sync": { "broker": "mqtt://127.0.0.1:{{port}}", "user": "crash-dev", "password_file": "password" },
              "sources": [ { "type": "folder", "path": "inbox", "labels_from_folders": true, "poll_ms": 20 } ],
              "status": { "interval_seconds": 0.3 }
            }
            """);

        // The teacher: keeps a few labelled images waiting in the inbox (written, then renamed, as a camera would).
        string[] labels = ["seven", "nine"];
        byte[][] templates = [File.ReadAllBytes(Path.Combine(models, "digits", "samples", "7_0000.pgm")), File.ReadAllBytes(Path.Combine(models, "digits", "samples", "9_0000.pgm"))];
        var written = new Dictionary<string, int> { ["seven"] = 0, ["nine"] = 0 };
        int fileNumber = 0;
        void Refill()
        {
            for (int c = 0; c < labels.Length; c++)
            {
                string folder = Directory.CreateDirectory(Path.Combine(inbox, labels[c])).FullName;
                while (Directory.GetFiles(folder, "*.pgm").Length < 3)
                {
                    byte[] image = (byte[])templates[c].Clone();
                    for (int i = image.Length - 784; i < image.Length; i++)
                        image[i] = (byte)Math.Clamp(image[i] + random.Next(-20, 21), 0, 255);
                    string name = Path.Combine(folder, $"{fileNumber++:D6}.pgm");
                    File.WriteAllBytes(name + ".tmp", image);
                    File.Move(name + ".tmp", name);
                    written[labels[c]]++;
                }
            }
        }

        EmbeddingSpace space;
        using (IEmbeddingBackbone backbone = BackboneCatalog.Open("digits", SessionOptionsSpec.Default, null, models))
            space = backbone.Space;
        var acked = new Dictionary<string, string>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        int startupKills = 0;
        for (int i = 0; i < kills; i++)
        {
            Refill();
            using Process agent = Start(config);
            var lines = new List<string>();
            agent.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (lines) lines.Add(e.Data); };
            agent.BeginOutputReadLine();
            // Instants from 0 (inside start-up: model load, WAL recovery) to a few seconds (learning, syncing, checkpointing).
            int ms = random.Next(0, 3000);
            if (agent.WaitForExit(ms))
                Assert.Fail($"the agent exited by itself (code {agent.ExitCode}): {string.Join('\n', lines)}");
            agent.Kill();
            agent.WaitForExit();
            lock (lines)
            {
                if (!lines.Any(l => l.Contains("started device=", StringComparison.Ordinal)))
                    startupKills++;
                foreach (string line in lines)
                    if (LearnedLine().Match(line) is { Success: true } m)
                        acked[m.Groups["origin"].Value] = m.Groups["label"].Value;
            }
            // The state loads after every kill (a kill inside the runtime's own start-up, before the agent made its state
            // folder, leaves nothing to load; on this 2-vCPU VM under load that is the first second or more).
            if (Directory.Exists(state))
            {
                using StateStore store = StateStore.Open(Path.Combine(state, "state.db"), space, "crash-dev");
                store.LoadMemory();
            }
        }
        output.WriteLine($"{kills} kills in {clock.Elapsed.TotalSeconds:F0} s ({startupKills} during start-up); {acked.Count} examples acknowledged");
        Assert.True(acked.Count > 0, "no example was acknowledged: the agent never got far enough between kills");

        // A clean run: let it drain the inbox and the outbox, then stop it with SIGTERM.
        using (Process final = Start(config))
        {
            var lines = new List<string>();
            final.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (lines) lines.Add(e.Data); };
            final.BeginOutputReadLine();
            DateTime deadline = DateTime.UtcNow.AddSeconds(60);
            while (!(Directory.GetFiles(inbox, "*.pgm", SearchOption.AllDirectories).Length == 0 && Synced(state, final.Id)))
            {
                Assert.True(DateTime.UtcNow < deadline, $"the final run did not drain the inbox and the outbox in 60 s: {string.Join('\n', lines.TakeLast(20))}");
                await Task.Delay(100);
            }
            // The shell's builtin kill: a bare machine may lack procps' /bin/kill.
            using (Process term = Process.Start("/bin/sh", ["-c", "kill -TERM " + final.Id.ToString(CultureInfo.InvariantCulture)])!)
                term.WaitForExit();
            Assert.True(final.WaitForExit(20_000), "the agent did not stop within 20 s of SIGTERM");
            Assert.Equal(0, final.ExitCode);
        }

        // Every acknowledged example is in the store; every written file was learned exactly once.
        using var db = new SqliteConnection($"Data Source={Path.Combine(state, "state.db")};Mode=ReadOnly;Pooling=False");
        db.Open();
        var ids = new List<string>();
        using (SqliteCommand cmd = db.CreateCommand())
        {
            cmd.CommandText = "SELECT id FROM examples";
            using SqliteDataReader reader = cmd.ExecuteReader();
            while (reader.Read())
                ids.Add(reader.GetString(0));
        }
        foreach ((string origin, string _) in acked)
            Assert.Contains(ids, id => id.StartsWith($"file:{origin}:", StringComparison.Ordinal));
        PrototypeMemory memory;
        using (StateStore store = StateStore.Open(Path.Combine(state, "state.db"), space, "crash-dev"))
            memory = store.LoadMemory();
        foreach (string label in labels)
        {
            long count = memory.SummaryAt(memory.IndexOf(label)).Count;
            output.WriteLine($"{label}: {written[label]} files written, {count} learned");
            Assert.Equal(written[label], count);
        }

        // The broker holds the same counts (the fleet converged after all the kills).
        var retained = await broker.GetRetainedMessagesAsync();
        var trust = new TrustStore();
        trust.Add("crash-dev", File.ReadAllText(Path.Combine(state, "crash-dev.pem")));
        var verifier = new EdgeCL.Sync.Payloads.SignedEntryCodec(EntrySigner.Create("verifier"), trust);
        foreach (string label in labels)
        {
            MqttApplicationMessage message = retained.Single(m => m.Topic.EndsWith("/proto/crash-dev/" + label, StringComparison.Ordinal));
            Assert.True(verifier.TryDecode(System.Buffers.BuffersExtensions.ToArray(message.Payload), out FleetEntry? entry, out var reason), $"retained entry of {label} does not verify ({reason})");
            Assert.Equal(memory.SummaryAt(memory.IndexOf(label)).Count, entry!.Count);
        }
    }

    private static bool Synced(string state, int pid)
    {
        try
        {
            string json = File.ReadAllText(Path.Combine(state, "status.json"));
            // The status of this run (a killed run leaves its last one behind).
            return json.Contains($"\"process_id\": {pid},", StringComparison.Ordinal) && json.Contains("\"pending_outbox\": 0", StringComparison.Ordinal) && json.Contains("\"connected\": true", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static Process Start(string config)
    {
        string? binary = Environment.GetEnvironmentVariable("EDGECL_CRASH_BINARY");
        var start = binary is { Length: > 0 }
            ? new ProcessStartInfo(binary)
            : new ProcessStartInfo(DotnetHost()) { ArgumentList = { "exec", Path.Combine(AppContext.BaseDirectory, "edgecl.dll") } };
        foreach (string arg in new[] { "run", "--config", config })
            start.ArgumentList.Add(arg);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.Environment["DOTNET_TieredPGO"] = "0";
        return Process.Start(start)!;
    }

    private static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
            return host;
        string? self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }

    private static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [GeneratedRegex(@"learned label=(?<label>\S+) .* ack=1 .*origin=(?<origin>\S+)$")]
    private static partial Regex LearnedLine();
}
