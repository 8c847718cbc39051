using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Client;
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
}
