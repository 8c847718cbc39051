using System.Diagnostics;
using EdgeCL.Cli.Output;
using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.State;

namespace EdgeCL.Cli.Commands;

// --changes N (with --aggregators): after the full sync, N single-class changes one at a time, each by one device, each
// waited for until every device holds the new aggregate exactly. What a fleet in steady state costs per change, where
// bundles trade one small message per class for the delta (docs/fleet-aggregation.md, "Bundles").
internal sealed partial class FleetSimulation
{
    /// <summary>Single-class changes after the full sync (aggregated runs only); 0 = none.</summary>
    public int Changes { get; init; }

    private async Task<SimulateChanges> RunChangesAsync(FleetSyncClient[] clients, AggregateStateTarget[] targets, FleetEntry[][] entries, FleetState expected,
        Dictionary<string, (long Version, uint[] Bits)> expectedByLabel, float[] mean, CancellationToken cancellationToken)
    {
        SyncStatistics[] before = [.. clients.Select(c => c.Statistics)];
        var latest = entries.Select(own => own.Where(e => !e.IsTombstone).ToDictionary(e => e.Label, StringComparer.Ordinal)).ToArray();
        var random = new Random(Seed + 17);
        var seconds = new double[Changes];
        for (int k = 0; k < Changes; k++)
        {
            int device = k % Devices;
            while (latest[device].Count == 0)
                device = (device + 1) % Devices;
            FleetEntry old = latest[device].Values.ElementAt(random.Next(latest[device].Count));
            FleetEntry changed = old with { Version = old.Version + 1, Mean = [.. old.Mean.Select(x => x + (float)(random.NextDouble() - 0.5) * 0.1f)] };
            latest[device][old.Label] = changed;
            expected.Merge(Fp16 ? changed with { Mean = Array.ConvertAll(changed.Mean, x => (float)(Half)x) } : changed);
            expected.TryGetPrototype(old.Label, mean, out _, out long version);
            (long Version, uint[] Bits) target = (version, Array.ConvertAll(mean, BitConverter.SingleToUInt32Bits));
            expectedByLabel[old.Label] = target;

            long start = Stopwatch.GetTimestamp();
            await clients[device].PublishAsync(changed, cancellationToken).ConfigureAwait(false);
            var waiting = new HashSet<int>(Enumerable.Range(0, Devices));
            while (waiting.Count > 0)
            {
                if (Stopwatch.GetElapsedTime(start) > Timeout)
                    throw new TimeoutException($"Change {k + 1} of {Changes} ('{old.Label}' by device {device}) did not reach {waiting.Count} of {Devices} devices within {Timeout.TotalSeconds:0} s.");
                await Task.Delay(5, cancellationToken).ConfigureAwait(false);
                waiting.RemoveWhere(i => HoldsExactly(targets[i], old.Label, target, mean));
            }
            seconds[k] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        SyncStatistics[] after = [.. clients.Select(c => c.Statistics)];
        double PerChange(Func<SyncStatistics, long> counter) =>
            Median(Enumerable.Range(0, Devices).Select(i => (double)(counter(after[i]) - counter(before[i])) / Changes));
        return new SimulateChanges(Changes, Median(seconds), PerChange(s => s.Received), PerChange(s => s.ReceivedBytes));
    }

    private static bool HoldsExactly(AggregateStateTarget target, string label, (long Version, uint[] Bits) expected, float[] mean)
    {
        lock (target.SyncRoot)
            return Matches(target.View, label, expected, mean);
    }
}
