using System.Diagnostics;
using System.Globalization;
using EdgeCL.Core.Memory;
using EdgeCL.Storage.State;
using Xunit.Abstractions;

namespace EdgeCL.Storage.Tests.State;

public class KillTests(ITestOutputHelper output)
{
    [Fact]
    public void Commit_KilledWithSigkillAtRandomInstants_EveryPrintedIdSurvives()
    {
        using var folder = new TempFolder();
        string db = folder.File("crash.db");
        var rng = new Random(20_260_607);
        var printed = new List<long>();
        int kills = 0, killsBeforeFirstLine = 0;
        var clock = Stopwatch.StartNew();
        // ≥ 20 kills, within a time budget that keeps the test under a minute on a busy 2-core machine.
        while (kills < 20 || (kills < 40 && clock.Elapsed < TimeSpan.FromSeconds(30)))
        {
            var errors = new System.Text.StringBuilder();
            using Process child = StartWriter(db, errors);
            bool early = rng.Next(5) == 0;
            int target = rng.Next(1, 150);
            int lines = 0;
            if (early)
            {
                // Kill during start-up: opening, WAL recovery, schema creation or the first commits.
                Assert.False(child.WaitForExit(rng.Next(20, 400)), $"The writer exited by itself during start-up: {errors}");
                child.Kill();
                killsBeforeFirstLine++;
            }
            string? line;
            while ((line = child.StandardOutput.ReadLine()) is not null)
            {
                printed.Add(long.Parse(line, CultureInfo.InvariantCulture));
                if (!early && ++lines == target)
                {
                    // Spin a random few hundred microseconds so the signal lands anywhere in the commit cycle.
                    long until = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * rng.Next(0, 500) / 1_000_000);
                    while (Stopwatch.GetTimestamp() < until) { }
                    child.Kill(); // SIGKILL on Unix
                    break;
                }
            }
            // Lines already in the pipe were printed before the kill: drain them.
            while ((line = child.StandardOutput.ReadLine()) is not null)
                printed.Add(long.Parse(line, CultureInfo.InvariantCulture));
            child.WaitForExit();
            Assert.True(early || lines == target, $"The writer exited by itself after {lines} lines: {errors}");
            kills++;
        }

        using StateStore store = StateStore.Open(db, CrashWriter.Space, CrashWriter.DeviceId);
        PrototypeMemory memory = store.LoadMemory(CrashWriter.MemoryOptions);
        var classIds = new HashSet<long>();
        for (int c = 0; c < memory.ClassCount; c++)
            classIds.Add(long.Parse(memory.LabelAt(c)[1..], CultureInfo.InvariantCulture));
        var outboxIds = store.PendingOutbox(100_000).Select(m => BitConverter.ToInt64(m.Payload)).ToHashSet();

        output.WriteLine($"{kills} kills ({killsBeforeFirstLine} during start-up) in {clock.Elapsed.TotalSeconds:F1} s; " +
                         $"{printed.Count} ids printed, {classIds.Count} commits durable, {classIds.Count - printed.Count} committed but not yet printed when killed.");
        Assert.True(kills >= 20);
        Assert.NotEmpty(printed);
        Assert.All(printed, id => Assert.Contains(id, classIds));
        // The outbox row and the change it announces are one transaction: the sets are identical.
        Assert.Equal(classIds.Order(), outboxIds.Order());
        // Ids are dense 0..n-1: no commit vanished from the middle.
        Assert.Equal(Enumerable.Range(0, classIds.Count).Select(i => (long)i), classIds.Order());
        // At most the one commit in flight per kill can be durable without having been printed.
        Assert.InRange(classIds.Count - printed.Count, 0, kills);
    }

    private static Process StartWriter(string db, System.Text.StringBuilder errors)
    {
        var start = new ProcessStartInfo(ChildProcess.DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { "exec", ChildProcess.Assembly, "crash-writer", db })
            start.ArgumentList.Add(arg);
        Process child = Process.Start(start) ?? throw new InvalidOperationException("Could not start the crash writer.");
        child.ErrorDataReceived += (_, e) =>
        {
            lock (errors)
                errors.AppendLine(e.Data);
        };
        child.BeginErrorReadLine();
        return child;
    }
}
