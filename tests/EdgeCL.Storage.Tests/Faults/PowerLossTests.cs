using System.Diagnostics;
using System.Globalization;
using EdgeCL.Core.Memory;
using EdgeCL.Storage.State;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace EdgeCL.Storage.Tests.Faults;

/// <summary>
/// Power loss at the file-system level: <see cref="PowerWriter"/> runs under the <c>ops/faults/powerloss.c</c> shim, which
/// journals every write, truncate, fsync and directory operation on the state folder and cuts the power at a random
/// call; <see cref="PowerCutDisk"/> then builds what the disk could hold (unsynced writes lost, reordered or torn), and
/// the real <see cref="StateStore"/> must open it with every acknowledged example present and none counted twice.
/// The next run starts from that image, so recovery itself is cut too. <c>EDGECL_POWERLOSS_CUTS</c> sets the number of
/// runs (CI: 20 runs with cuts and 14 with errors; <c>ops/powerloss.sh</c> runs 1,000 of each), <c>EDGECL_POWERLOSS_SEED</c> repeats one sequence.
/// </summary>
public sealed class PowerLossTests(ITestOutputHelper output)
{
    private const int Eio = 5, Enospc = 28;

    [Fact]
    public void Power_cut_at_a_random_write_or_fsync_loses_no_acknowledged_example() =>
        new Campaign(output, errors: false).Run(Runs(20));

    [Fact]
    public void Write_or_fsync_failing_with_EIO_or_ENOSPC_gives_one_clear_line_and_keeps_every_acknowledged_example() =>
        new Campaign(output, errors: true).Run(Runs(14));

    [Fact]
    public void Power_cut_at_each_call_of_the_first_start_leaves_a_state_that_opens() =>
        new Campaign(output, errors: false).SweepFirstStart(calls: 12, images: 16);

    private static int Runs(int ci) => int.TryParse(Environment.GetEnvironmentVariable("EDGECL_POWERLOSS_CUTS"), out int n) ? n : ci;

    /// <summary>One sequence of runs on one state folder.</summary>
    private sealed class Campaign(ITestOutputHelper output, bool errors)
    {
        private readonly HashSet<long> _acked = [];
        private long _next;
        private int _ackedTotal, _fresh, _cuts, _cleanEnds, _duplicatesSkipped, _errorLines, _errorExits, _lostWrites;
        private readonly Dictionary<string, int> _errorKinds = new(StringComparer.Ordinal);

        /// <summary>
        /// A new state cut at each of the first <paramref name="calls"/> watched calls (creating the file, the rollback
        /// journal of the switch to WAL, the schema's first commit), each cut rebuilt as <paramref name="images"/> different
        /// disks; every one must open. Random cut points reach these calls only once in hundreds of runs.
        /// </summary>
        public void SweepFirstStart(int calls, int images)
        {
            string shim = PowerLossShim.Build();
            using var folder = new TempFolder();
            string state = folder.File("state"), baseCopy = folder.File("base"), journalPath = folder.File("run.journal");
            string db = Path.Combine(state, "state.db");
            for (int cutAt = 1; cutAt <= calls; cutAt++)
            {
                PowerLossShim.EmptyFolder(state);
                PowerLossShim.EmptyFolder(baseCopy);
                File.Delete(journalPath);
                _acked.Clear();
                _next = 0;
                List<string> lines = RunWriter(shim, state, journalPath, 0, 3, cutAt, fail: null, out int exitCode);
                string context = $"first start cut at call {cutAt}";
                ReadLines(lines, db, failing: false, context);
                PowerLossJournal journal = PowerLossJournal.Read(journalPath);
                Assert.True(journal.WasCut && exitCode == PowerLossShim.CutExitCode, $"{context}: the run was not cut (exit {exitCode})");
                var disk = new PowerCutDisk(journal, baseCopy);
                Assert.Null(disk.DifferenceFrom(state));
                for (int image = 0; image < images; image++)
                {
                    string description = disk.CutInto(state, new Random(cutAt * 1000 + image));
                    Verify(db, folder.File("verify"), $"{context}, image {image}: {description}");
                }
            }
        }

        public void Run(int runs)
        {
            string shim = PowerLossShim.Build();
            int seed = int.TryParse(Environment.GetEnvironmentVariable("EDGECL_POWERLOSS_SEED"), out int s) ? s : Environment.TickCount;
            output.WriteLine($"{runs} runs, seed {seed} (EDGECL_POWERLOSS_SEED={seed} repeats them)");
            var random = new Random(seed);
            using var folder = new TempFolder();
            string state = Directory.CreateDirectory(folder.File("state")).FullName;
            string db = Path.Combine(state, "state.db");
            var clock = Stopwatch.StartNew();

            // Calibration on a scratch folder: how many watched calls a run makes, to spread the cut points over a whole run.
            string scratch = Directory.CreateDirectory(folder.File("scratch")).FullName;
            RunWriter(shim, scratch, folder.File("calibration.journal"), 0, 20, cutAt: 0, fail: null, out _);
            PowerLossJournal calibration = PowerLossJournal.Read(folder.File("calibration.journal"));
            double callsPerExample = calibration.Calls / 20.0, failablePerExample = calibration.FailableCalls / 20.0;
            Assert.True(calibration.Calls > 20, $"the shim saw only {calibration.Calls} calls in a clean run of 20 commits: it is not intercepting SQLite's writes");

            for (int run = 0; run < runs; run++)
            {
                string baseCopy = folder.File("base"), journalPath = folder.File("run.journal");
                PowerLossShim.CopyFolder(state, baseCopy);
                File.Delete(journalPath);
                int count = random.Next(5, 40);
                int estimated = (int)(callsPerExample * count) + 40;
                // One run in eight starts a new state, with the cut inside the first start (creating the file, switching to WAL).
                bool fresh = run == 0 || random.Next(8) == 0;
                if (fresh)
                {
                    PowerLossShim.EmptyFolder(state);
                    PowerLossShim.CopyFolder(state, baseCopy);
                    _acked.Clear();
                    _next = 0;
                    _fresh++;
                    estimated = 60;
                }
                // Errors: fail one to three write-side calls, then cut the power later in half the runs.
                (int At, int Errno, int Count)? fail = errors
                    ? (random.Next(1, (int)(failablePerExample * count) + 20), random.Next(2) == 0 ? Eio : Enospc, random.Next(1, 4))
                    : null;
                int cutAt = !errors || random.Next(2) == 0 ? random.Next(1, estimated + estimated / 10 + 2) : 0;
                long first = _next;
                List<string> lines = RunWriter(shim, state, journalPath, first, count, cutAt, fail, out int exitCode);
                string context = $"run {run} (seed {seed}, examples {first}..{first + count - 1}, cut at call {cutAt}{(fail is { } f ? $", errno {f.Errno} at write-side call {f.At} x{f.Count}" : "")})";
                ReadLines(lines, db, fail is not null, context);

                PowerLossJournal journal = PowerLossJournal.Read(journalPath);
                bool cut = journal.WasCut;
                Assert.True(cut ? exitCode == PowerLossShim.CutExitCode : exitCode == 0 || (fail is not null && exitCode == 3),
                    $"{context}: the writer exited with code {exitCode} ({(cut ? "after the power cut" : "no cut")}): {string.Join(" | ", lines.TakeLast(5))}");
                _errorExits += exitCode == 3 ? 1 : 0;
                var disk = new PowerCutDisk(journal, baseCopy);
                // The shim saw every call: replaying the whole journal gives exactly the files the process left.
                Assert.Null(disk.DifferenceFrom(state));
                _lostWrites += disk.Unsynced.PendingWrites;
                string image = disk.CutInto(state, random);
                _cuts += cut ? 1 : 0;
                _cleanEnds += cut ? 0 : 1;
                Verify(db, folder.File("verify"), $"{context}, image {image}");
                if ((run + 1) % 50 == 0)
                    PowerLossShim.Progress($"{(errors ? "errors" : "cuts")}: {run + 1}/{runs} runs, {_ackedTotal} acknowledged, {_cuts} cut inside a run, {_errorLines} error lines, {clock.Elapsed.TotalSeconds:F0} s");
            }
            output.WriteLine($"{runs} runs in {clock.Elapsed.TotalSeconds:F1} s: {_cuts} power cuts inside a run, {_cleanEnds} after a clean end, {_fresh} runs on a new state; " +
                             $"{_ackedTotal} examples acknowledged, {_duplicatesSkipped} re-offered examples found already stored; " +
                             $"{_lostWrites} unsynced writes exposed to the cuts; {_errorLines} error lines ({string.Join(", ", _errorKinds.Select(k => $"{k.Key}: {k.Value}"))}), {_errorExits} runs gave up after errors");
            Assert.True(_ackedTotal > runs, $"only {_ackedTotal} examples were acknowledged in {runs} runs: the runs are cut too early to test anything");
        }

        private static List<string> RunWriter(string shim, string state, string journal, long first, int count, int cutAt, (int At, int Errno, int Count)? fail, out int exitCode) =>
            PowerLossShim.Run(shim, state, journal, ["power-writer", Path.Combine(state, "state.db"), first.ToString(CultureInfo.InvariantCulture), count.ToString(CultureInfo.InvariantCulture)], cutAt, fail, out exitCode);

        /// <summary>Checks the writer's lines: acks in order, error lines one clear line each.</summary>
        private void ReadLines(List<string> lines, string db, bool failing, string context)
        {
            foreach (string line in lines)
            {
                if (line.StartsWith("ack ", StringComparison.Ordinal))
                {
                    string[] parts = line.Split(' ');
                    long n = long.Parse(parts[1], CultureInfo.InvariantCulture);
                    Assert.True(n == _next, $"{context}: acknowledged {n}, expected {_next}");
                    _acked.Add(n);
                    _ackedTotal++;
                    _next = n + 1;
                    _duplicatesSkipped += parts.Length > 2 ? 1 : 0;
                }
                else if (line.StartsWith("error ", StringComparison.Ordinal))
                {
                    Assert.True(failing, $"{context}: an error with no fault injected: {line}");
                    string message = line[6..];
                    // One line that names the database, says what happened and what to do; never "corrupt" for a failed write.
                    string kind = message.StartsWith("Disk full while", StringComparison.Ordinal) ? "disk full"
                        : message.StartsWith("I/O error while", StringComparison.Ordinal) ? "I/O error"
                        : throw new Xunit.Sdk.XunitException($"{context}: unexpected error line: {message}");
                    Assert.Contains($"'{db}'", message, StringComparison.Ordinal);
                    Assert.EndsWith("retry.", message, StringComparison.Ordinal);
                    _errorKinds[kind] = _errorKinds.GetValueOrDefault(kind) + 1;
                    _errorLines++;
                }
                else
                    Assert.Fail($"{context}: unexpected line from the writer: {line}");
            }
        }

        /// <summary>Opens a copy of the image with the real code: it loads, holds every acknowledged example, counts none twice.</summary>
        private void Verify(string db, string verifyFolder, string context)
        {
            PowerLossShim.CopyFolder(Path.GetDirectoryName(db)!, verifyFolder);
            string copy = Path.Combine(verifyFolder, Path.GetFileName(db));
            if (!File.Exists(copy))
            {
                Assert.True(_acked.Count == 0, $"{context}: the database file is gone but {_acked.Count} examples were acknowledged");
                return;
            }
            PrototypeMemory memory;
            long outboxCount;
            HashSet<long> outbox;
            try
            {
                using StateStore store = StateStore.Open(copy, PowerWriter.Space, PowerWriter.DeviceId);
                memory = store.LoadMemory(PowerWriter.MemoryOptions);
                outboxCount = store.OutboxCount;
                outbox = store.PendingOutbox(100_000).Select(m => BitConverter.ToInt64(m.Payload)).ToHashSet();
            }
            catch (Exception ex)
            {
                throw new Xunit.Sdk.XunitException($"{context}: the state does not load after the power cut: {ex.GetType().Name}: {ex.Message}");
            }
            var examples = new List<(long N, string Label)>();
            using (var connection = new SqliteConnection($"Data Source={copy};Mode=ReadOnly;Pooling=False"))
            {
                connection.Open();
                using SqliteCommand command = connection.CreateCommand();
                command.CommandText = "SELECT id, label FROM examples";
                using SqliteDataReader reader = command.ExecuteReader();
                while (reader.Read())
                    examples.Add((long.Parse(reader.GetString(0)[2..], CultureInfo.InvariantCulture), reader.GetString(1)));
            }
            var stored = examples.Select(e => e.N).ToHashSet();
            long[] lost = [.. _acked.Where(n => !stored.Contains(n)).Order()];
            Assert.True(lost.Length == 0, $"{context}: {lost.Length} acknowledged examples lost, first {string.Join(", ", lost.Take(5))}");
            // Nothing counted twice: each class counts exactly the stored examples of its label, and each example has its one outbox message.
            for (int c = 0; c < memory.ClassCount; c++)
            {
                string label = memory.LabelAt(c);
                Assert.True(memory.SummaryAt(c).Count == examples.Count(e => e.Label == label),
                    $"{context}: class {label} counts {memory.SummaryAt(c).Count} but {examples.Count(e => e.Label == label)} of its examples are stored");
            }
            Assert.Equal(examples.Count, (int)Enumerable.Range(0, memory.ClassCount).Sum(c => memory.SummaryAt(c).Count));
            Assert.True(outbox.SetEquals(stored) && outboxCount == stored.Count, $"{context}: the outbox ({outboxCount} messages) and the stored examples ({stored.Count}) differ");
            // Stored but not acknowledged: only the one commit in flight at the cut (found and skipped when offered again).
            Assert.True(stored.All(n => _acked.Contains(n) || n == _next), $"{context}: stored examples beyond the one in flight: {string.Join(", ", stored.Where(n => !_acked.Contains(n)))}");
        }
    }
}
