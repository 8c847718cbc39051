using EdgeCL.Core.Fleet;
using EdgeCL.Core.Memory;
using EdgeCL.Storage.Errors;
using EdgeCL.Storage.State;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Commands;

namespace EdgeCL.Sync.Device;

// The background worker: stores received entries (or aggregates), continues own versions, runs forget commands.
public sealed partial class FleetDevice
{
    private void OnStateChanged(object? sender, FleetStateChangedEventArgs e)
    {
        _viewDirty = true;
        _work.Writer.TryWrite(new Work(e, null));
    }

    private void OnCommandReceived(object? sender, FleetCommandEventArgs e)
    {
        if (e.Command.Kind == FleetCommandKind.ForgetClass && e.Command.Label is { } label)
            _work.Writer.TryWrite(new Work(null, label));
    }

    private async Task RunWorkerAsync(CancellationToken abort)
    {
        var saves = new List<StoredFleetEntry>();
        var own = new List<FleetEntry>();
        var forgets = new List<string>();
        bool saveAggregates = false;
        // No cancellation on a clean close: the remaining received entries are stored before the file closes.
        while (await _work.Reader.WaitToReadAsync(abort).ConfigureAwait(false))
        {
            saves.Clear();
            own.Clear();
            forgets.Clear();
            while (saves.Count < SaveBatch && _work.Reader.TryRead(out Work work))
            {
                if (work.SaveAggregates)
                    saveAggregates = true;
                else if (work.Forget is not null)
                    forgets.Add(work.Forget);
                else if (work.Change!.IsOwn)
                    own.Add(work.Change.Entry);
                else
                    saves.Add(new StoredFleetEntry(work.Change.Entry, work.Change.Payload));
            }
            if (saves.Count > 0)
                SaveReceived(saves);
            if (saveAggregates)
            {
                saveAggregates = false;
                SaveAggregates();
            }
            if (own.Count > 0)
                await ContinueVersionsAsync(own, abort).ConfigureAwait(false);
            foreach (string label in forgets)
            {
                try
                {
                    await ForgetAsync(label, abort).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is StateStoreException or ObjectDisposedException)
                {
                    Log.ContinueFailed(_logger, ex, DeviceId, label);
                }
            }
            try
            {
                Processed?.Invoke(this, EventArgs.Empty);
            }
            catch (Exception ex)
            {
                Log.HandlerFailed(_logger, ex, nameof(Processed));
            }
        }
    }

    private void SaveReceived(List<StoredFleetEntry> saves)
    {
        try
        {
            int stored;
            lock (_outbox.StoreLock)
                stored = _store.SaveFleetEntries(saves);
            Interlocked.Add(ref _saved, stored);
        }
        catch (Exception ex) when (ex is StateStoreException or ArgumentException)
        {
            Interlocked.Increment(ref _saveFailures);
            Log.SaveFailed(_logger, ex, DeviceId, saves.Count);
        }
    }

    /// <summary>Own entries that changed the merged state: ours, or a higher version from the fleet (continue above it).</summary>
    private async Task ContinueVersionsAsync(List<FleetEntry> entries, CancellationToken abort)
    {
        await _gate.WaitAsync(abort).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _disposed) != 0 && abort.IsCancellationRequested)
                return;
            foreach (FleetEntry entry in entries)
            {
                try
                {
                    await ContinueLocked(entry).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is StateStoreException or ArgumentException or ObjectDisposedException or Core.Errors.EmbeddingException)
                {
                    Log.ContinueFailed(_logger, ex, DeviceId, entry.Label);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ContinueLocked(FleetEntry fleetEntry)
    {
        string label = fleetEntry.Label;
        int index = _memory.IndexOf(label);
        long local = index >= 0 ? _memory.SummaryAt(index).Version : _memory.Tombstones.GetValueOrDefault(label);
        if (fleetEntry.Version <= local)
            return; // our own change coming back, or an older copy
        if (local == 0)
        {
            // The store never knew this class (a reinstall): take over the fleet's copy, which needs no announcement.
            if (fleetEntry.IsTombstone)
                _memory.RestoreTombstone(label, fleetEntry.Version);
            else
                _memory.Restore(label, fleetEntry.Count, fleetEntry.Version, fleetEntry.Mean);
            CommitLocked(label, announce: false);
            Interlocked.Increment(ref _adopted);
            Log.VersionContinued(_logger, DeviceId, label, fleetEntry.Version, local, "adopted the fleet's copy");
            return;
        }
        // Changed locally since: keep the local content and announce it above the fleet's version.
        long next = fleetEntry.Version + 1;
        if (index >= 0)
        {
            ClassSummary summary = _memory.SummaryAt(index);
            float[] mean = _memory.MeanAt(index).ToArray();
            _memory.Forget(label);
            _memory.Restore(label, summary.Count, next, mean);
        }
        else
        {
            _memory.RestoreTombstone(label, next);
        }
        (FleetEntry _, byte[]? payload) = CommitLocked(label, announce: true);
        Interlocked.Increment(ref _continued);
        Log.VersionContinued(_logger, DeviceId, label, fleetEntry.Version, local, $"re-announced the local class as version {next}");
        await _client.PublishPayloadAsync(payload!, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>One job for the background worker: a merged entry, a forget command, or "the aggregates changed".</summary>
    private readonly record struct Work(FleetStateChangedEventArgs? Change, string? Forget, bool SaveAggregates = false);
}
