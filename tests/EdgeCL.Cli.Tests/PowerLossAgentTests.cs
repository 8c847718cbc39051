using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Sessions;
using EdgeCL.Storage.State;
using EdgeCL.Storage.Tests.Faults;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace EdgeCL.Cli.Tests;

/// <summary>
/// The real device agent (<c>edgecl run</c>, learning files from a watched folder) under the power-loss shim
/// (<c>ops/faults/powerloss.c</c>; the model is <see cref="PowerCutDisk"/>, shared with EdgeCL.Storage.Tests): the power
/// is cut at a random write, fsync or rename in its state folder (the database, the key, the checkpoint, status.json),
/// a disk image is rebuilt, and the agent must start again on it with every acknowledged example stored once.
/// <c>EDGECL_POWERLOSS_AGENT_CUTS</c> sets the number of cuts (default 3, about 25 s; <c>ops/powerloss.sh</c> runs more).
/// </summary>
public sealed partial class PowerLossAgentTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-powerloss-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void Agent_restarts_after_power_cuts_at_random_writes_with_every_acknowledged_example_stored_once()
    {
        int cuts = int.TryParse(Environment.GetEnvironmentVariable("EDGECL_POWERLOSS_AGENT_CUTS"), out int c) ? c : 3;
        int seed = int.TryParse(Environment.GetEnvironmentVariable("EDGECL_POWERLOSS_SEED"), out int s) ? s : Environment.TickCount;
        output.WriteLine($"{cuts} cuts, seed {seed} (EDGECL_POWERLOSS_SEED={seed} repeats them)");
        var random = new Random(seed);
        string shim = PowerLossShim.Build();
        string home = Directory.CreateDirectory(Path.Combine(_dir, "home")).FullName;
        string models = Path.Combine(RealBackboneTests.RepoRoot, "models");
        string state = Directory.CreateDirectory(Path.Combine(_dir, "state")).FullName, inbox = Path.Combine(_dir, "inbox");
        string baseCopy = Path.Combine(_dir, "base"), journalPath = Path.Combine(_dir, "run.journal"), verify = Path.Combine(_dir, "verify");
        string config = Path.Combine(_dir, "device.json");
        File.WriteAllText(config, $$"""
            {
              "device_id": "power-dev", "backbone": "digits", "models_root": "{{models}}", "state_dir": "state",
              "learner": { "method": "ncm-test-centred", "checkpoint_seconds": 0.2 },
              "sources": [ { "type": "folder", "path": "inbox", "labels_from_folders": true, "poll_ms": 20 } ],
              "status": { "interval_seconds": 0.2 }
            }
            """);
        string[] labels = ["seven", "nine"];
        byte[][] templates = [File.ReadAllBytes(Path.Combine(models, "digits", "samples", "7_0000.pgm")), File.ReadAllBytes(Path.Combine(models, "digits", "samples", "9_0000.pgm"))];
        int fileNumber = 0;
        EmbeddingSpace space;
        using (IEmbeddingBackbone backbone = BackboneCatalog.Open("digits", SessionOptionsSpec.Default, null, models))
            space = backbone.Space;

        var acked = new HashSet<string>(StringComparer.Ordinal);
        int cutInside = 0, lostWrites = 0;
        var clock = Stopwatch.StartNew();
        // A random cut can land in start-up every time (CI once drew three cuts before the first learned file). Then a few
        // more runs cut later, so the test always checks acknowledged examples; at most 4 extra runs.
        int runs = 0;
        for (int run = 0; run < cuts || (acked.Count == 0 && run < cuts + 4); run++, runs++)
        {
            // Keep a few labelled images waiting (written, then renamed, as a camera would).
            for (int l = 0; l < labels.Length; l++)
            {
                string folder = Directory.CreateDirectory(Path.Combine(inbox, labels[l])).FullName;
                while (Directory.GetFiles(folder, "*.pgm").Length < 4)
                {
                    byte[] pixels = (byte[])templates[l].Clone();
                    for (int i = pixels.Length - 784; i < pixels.Length; i++)
                        pixels[i] = (byte)Math.Clamp(pixels[i] + random.Next(-20, 21), 0, 255);
                    string name = Path.Combine(folder, $"{fileNumber++:D6}.pgm");
                    File.WriteAllBytes(name + ".tmp", pixels);
                    File.Move(name + ".tmp", name);
                }
            }
            PowerLossShim.CopyFolder(state, baseCopy);
            File.Delete(journalPath);
            // Start-up and the first learned files take about the first 200 watched calls; later ones are mostly status.json.
            int cutAt = run < cuts ? random.Next(1, 200) : random.Next(200, 600);
            string log;
            int exitCode;
            using (AgentProcess agent = AgentProcess.Start(home, ["run", "--config", config], environment: new Dictionary<string, string>
            {
                ["LD_PRELOAD"] = shim, ["POWERLOSS_DIR"] = state, ["POWERLOSS_JOURNAL"] = journalPath,
                ["POWERLOSS_CUT_AT"] = cutAt.ToString(CultureInfo.InvariantCulture),
            }))
            {
                if (!agent.Process.WaitForExit(10_000))
                    agent.Process.Kill(); // the cut point was past what this run reached: the power goes now
                agent.Process.WaitForExit();
                exitCode = agent.Process.ExitCode;
                log = agent.Output;
            }
            string context = $"run {run} (seed {seed}, cut at call {cutAt})";
            foreach (string line in log.Split('\n'))
                if (LearnedLine().Match(line) is { Success: true } m)
                    acked.Add(m.Groups["origin"].Value);
            Assert.True(exitCode == PowerLossShim.CutExitCode, $"{context}: the agent exited by itself (code {exitCode}): {string.Join('\n', log.Split('\n').TakeLast(10))}");
            PowerLossJournal journal = PowerLossJournal.Read(journalPath);
            cutInside += journal.WasCut ? 1 : 0;
            var disk = new PowerCutDisk(journal, baseCopy);
            Assert.Null(disk.DifferenceFrom(state));
            lostWrites += disk.Unsynced.PendingWrites;
            string image = disk.CutInto(state, random);
            VerifyState(state, verify, space, acked, $"{context}, image {image}");
            PowerLossShim.Progress($"agent: {run + 1}/{Math.Max(cuts, run + 1)} runs, {acked.Count} acknowledged, {cutInside} cut inside a run, {clock.Elapsed.TotalSeconds:F0} s");
        }
        output.WriteLine($"{runs} runs in {clock.Elapsed.TotalSeconds:F0} s: {cutInside} cut inside the run (the others killed at 10 s); {acked.Count} examples acknowledged; {lostWrites} unsynced writes exposed");
        Assert.True(acked.Count > 0, "no example was acknowledged: the runs were cut too early");
    }

    /// <summary>Opens a copy of the rebuilt state with the real code: every acknowledged example is there, and no class counts one twice.</summary>
    private static void VerifyState(string state, string verify, EmbeddingSpace space, HashSet<string> acked, string context)
    {
        PowerLossShim.CopyFolder(state, verify);
        string db = Path.Combine(verify, "state.db");
        if (!File.Exists(db))
        {
            Assert.True(acked.Count == 0, $"{context}: state.db is gone but {acked.Count} examples were acknowledged");
            return;
        }
        PrototypeMemory memory;
        try
        {
            using StateStore store = StateStore.Open(db, space, "power-dev");
            memory = store.LoadMemory();
        }
        catch (Exception ex)
        {
            throw new Xunit.Sdk.XunitException($"{context}: the state does not load: {ex.GetType().Name}: {ex.Message}");
        }
        var examples = new List<(string Id, string Label)>();
        using (var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False"))
        {
            connection.Open();
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "SELECT id, label FROM examples";
            using SqliteDataReader reader = command.ExecuteReader();
            while (reader.Read())
                examples.Add((reader.GetString(0), reader.GetString(1)));
        }
        foreach (string origin in acked)
            Assert.True(examples.Any(e => e.Id.StartsWith($"file:{origin}:", StringComparison.Ordinal)), $"{context}: acknowledged example {origin} is not stored");
        for (int c = 0; c < memory.ClassCount; c++)
        {
            string label = memory.LabelAt(c);
            Assert.True(memory.SummaryAt(c).Count == examples.Count(e => e.Label == label),
                $"{context}: class {label} counts {memory.SummaryAt(c).Count} but {examples.Count(e => e.Label == label)} of its examples are stored");
        }
    }

    [GeneratedRegex(@"learned label=(?<label>\S+) .* ack=1 .*origin=(?<origin>\S+)$")]
    private static partial Regex LearnedLine();
}
