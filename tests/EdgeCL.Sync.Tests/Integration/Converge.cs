using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Payloads;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Sync.Tests.Integration;

internal static class Converge
{
    /// <summary>The digest every device must reach: the merge of every device's latest entries.</summary>
    public static string Expected(IEnumerable<TestDevice> writers, EmbeddingSpace space, params FleetEntry[] extra)
    {
        var state = new FleetState(space);
        foreach (TestDevice d in writers)
            foreach (FleetEntry e in d.Latest.Values)
                state.Merge(e);
        foreach (FleetEntry e in extra)
            state.Merge(e);
        return LockedState.DigestOf(state);
    }

    /// <summary>Completes when every device's state digest equals <paramref name="digest"/>; checked on every state change.</summary>
    public static async Task AllAsync(IReadOnlyList<TestDevice> devices, string digest, TimeSpan? timeout = null)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check()
        {
            if (devices.All(d => d.State.Digest() == digest))
                done.TrySetResult();
        }
        EventHandler<FleetStateChangedEventArgs> handler = (_, _) => Check();
        var clients = devices.Select(d => d.Client).ToArray();
        foreach (FleetSyncClient c in clients)
            c.StateChanged += handler;
        try
        {
            Check();
            await done.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(15));
        }
        catch (TimeoutException)
        {
            string detail = string.Join("; ", devices.Select(d => $"{d.Id}: {d.State.EntryCount} entries, {(d.State.Digest() == digest ? "ok" : "differs")}, connected={d.Client.IsConnected}"));
            throw new Xunit.Sdk.XunitException($"devices did not converge: {detail}");
        }
        finally
        {
            foreach (FleetSyncClient c in clients)
                c.StateChanged -= handler;
        }
    }

    /// <summary>
    /// Asserts that every device's merged prototype of every class is the centralised count-weighted mean of the
    /// writers' latest contributions, computed here without <see cref="FleetState"/>: a contribution counted twice (or
    /// lost) changes the count and the mean. Also that nothing was dropped and every outbox is drained.
    /// </summary>
    /// <param name="staleCopies">Tolerate <see cref="SyncDropReason.Stale"/> drops of older copies that an outage brings
    /// back: a device that learned while cut off is sent the broker's older retained copy of its own entry when it
    /// resubscribes, and after a bridge outage a broker re-sends every retained entry it holds over the bridge (mosquitto's
    /// bridge connect), the other side's entries as they were before the outage included. Whoever receives them already
    /// holds the newer version; they are counted, never merged.</param>
    public static async Task ExactlyOnceAsync(IReadOnlyList<TestDevice> devices, IReadOnlyList<TestDevice> writers, bool staleCopies = false)
    {
        // Others may merge an entry before its publisher has the broker's acknowledgement and clears it from its outbox.
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); devices.Any(d => d.Outbox.PendingCount > 0) && waited.Elapsed < TimeSpan.FromSeconds(20);)
            await Task.Delay(20);
        var contributions = writers.SelectMany(w => w.Latest.Values).GroupBy(e => e.Label, StringComparer.Ordinal).ToArray();
        foreach (TestDevice device in devices)
        {
            var drops = device.Client.Statistics.Drops.Where(d => d.Value > 0 && !(staleCopies && d.Key == SyncDropReason.Stale)).ToArray();
            Assert.True(drops.Length == 0, $"{device.Id} dropped: {string.Join(", ", drops)}");
            Assert.True(device.Outbox.PendingCount == 0, $"{device.Id}: {device.Outbox.PendingCount} entries still in the outbox 20 s after converging");
            foreach (IGrouping<string, FleetEntry> label in contributions)
            {
                FleetEntry[] live = [.. label.Where(e => !e.IsTombstone)];
                float[]? merged = device.State.Prototype(label.Key, out long count);
                if (live.Length == 0)
                {
                    Assert.Null(merged);
                    continue;
                }
                Assert.NotNull(merged);
                Assert.Equal(live.Sum(e => e.Count), count);
                for (int j = 0; j < merged.Length; j++)
                {
                    double centralised = live.Sum(e => e.Count * (double)e.Mean[j]) / count;
                    Assert.True(Math.Abs(merged[j] - centralised) <= 1e-6, $"{device.Id} '{label.Key}'[{j}]: merged {merged[j]}, centralised {centralised}");
                }
            }
        }
    }
}
