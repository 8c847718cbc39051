using EdgeCL.Core.Fleet;
using EdgeCL.Storage.Errors;
using EdgeCL.Storage.State;

namespace EdgeCL.Sync.Device;

// Local changes: learn, forget and the commit that makes them durable and announced.
public sealed partial class FleetDevice
{
    /// <summary>Learns one labelled example: updates the class, commits it with its signed announcement, then hands it to the sync client.</summary>
    /// <returns>The class's new entry (as committed).</returns>
    /// <exception cref="ArgumentException">The label is invalid or cannot be synced, or the memory is full.</exception>
    /// <exception cref="Core.Errors.EmbeddingException">The embedding has the wrong length or a NaN/Inf value.</exception>
    /// <exception cref="StateStoreException">The store could not write the change (e.g. disk full); nothing was stored or announced.</exception>
    public async Task<FleetEntry> LearnAsync(string label, ReadOnlyMemory<float> embedding, CancellationToken cancellationToken = default)
    {
        EnsureSyncable(label);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            await SeedLocked(cancellationToken).ConfigureAwait(false);
            _memory.Add(label, embedding.Span);
            (FleetEntry entry, byte[]? payload) = CommitLocked(label, announce: true);
            Interlocked.Increment(ref _learned);
            // Committed means acknowledged: hand it over even if the caller gives up now.
            await _client.PublishPayloadAsync(payload!, CancellationToken.None).ConfigureAwait(false);
            return entry;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Learns one labelled example at most once: when <paramref name="exampleId"/> was learned before (a file delivered
    /// again because the device crashed after learning it but before moving it away), nothing changes. The id is
    /// committed in the same transaction as the class, so "learned" and "recorded as learned" cannot diverge.
    /// </summary>
    /// <returns>The class's new entry, or null when the example had been learned already.</returns>
    /// <exception cref="ArgumentException">The label or id is invalid, or the memory is full.</exception>
    /// <exception cref="Core.Errors.EmbeddingException">The embedding has the wrong length or a NaN/Inf value.</exception>
    /// <exception cref="StateStoreException">The store could not write the change; nothing was stored or announced.</exception>
    public async Task<FleetEntry?> LearnOnceAsync(string label, ReadOnlyMemory<float> embedding, string exampleId, CancellationToken cancellationToken = default)
    {
        EnsureSyncable(label);
        ArgumentException.ThrowIfNullOrEmpty(exampleId);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            await SeedLocked(cancellationToken).ConfigureAwait(false);
            lock (_outbox.StoreLock)
            {
                if (_store.HasExample(exampleId))
                    return null;
            }
            _memory.Add(label, embedding.Span);
            (FleetEntry entry, byte[]? payload) = CommitLocked(label, announce: true, (exampleId, label));
            Interlocked.Increment(ref _learned);
            await _client.PublishPayloadAsync(payload!, CancellationToken.None).ConfigureAwait(false);
            return entry;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forgets a class: commits its tombstone with the announcement, then hands it to the sync client.</summary>
    /// <returns>The tombstone, or null when the device had no class with this label.</returns>
    /// <exception cref="StateStoreException">The store could not write the change (e.g. disk full); nothing was stored or announced.</exception>
    public async Task<FleetEntry?> ForgetAsync(string label, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(label);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            await SeedLocked(cancellationToken).ConfigureAwait(false);
            if (!_memory.Forget(label))
                return null;
            (FleetEntry entry, byte[]? payload) = CommitLocked(label, announce: true);
            Interlocked.Increment(ref _forgotten);
            await _client.PublishPayloadAsync(payload!, CancellationToken.None).ConfigureAwait(false);
            return entry;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Once per open: own entries enter the fleet view as the fleet sees them (decoded from their payloads). They are
    /// already stored, so the outbox records nothing new; a stored announcement is reused, the others are signed
    /// together, once.
    /// </summary>
    private async Task SeedLocked(CancellationToken cancellationToken)
    {
        if (_seeded)
            return;
        _seeded = true;
        var unsigned = new List<FleetEntry>();
        foreach (FleetEntry entry in await _outbox.LatestAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_outbox.TryGetLatestPayload(entry.Label, out FleetEntry? stored, out byte[]? payload) && stored!.Version == entry.Version)
                await _client.PublishPayloadAsync(payload!, CancellationToken.None).ConfigureAwait(false);
            else
                unsigned.Add(entry);
        }
        if (unsigned.Count > 0)
            await _client.PublishBatchAsync(unsigned, CancellationToken.None).ConfigureAwait(false); // one signature for them all
        _viewDirty = true;
    }

    private static void EnsureSyncable(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (!FleetLimits.IsValidLabel(label))
            throw new ArgumentException(
                $"Label '{(label.Length > 16 ? label[..16] + "…" : label)}' cannot be synced: labels are 1..{FleetLimits.MaxLabelBytes} UTF-8 bytes of printable text without leading or trailing spaces.", nameof(label));
    }

    /// <summary>Commits one label; on a store failure reloads the memory so it matches the store again. Caller holds the gate.</summary>
    private (FleetEntry Entry, byte[]? Payload) CommitLocked(string label, bool announce, (string Id, string Label)? example = null)
    {
        try
        {
            (FleetEntry Entry, byte[]? Payload) committed = _outbox.Commit(_memory, [label], announce, example)[0];
            _viewDirty = true;
            return committed;
        }
        catch (StateStoreException)
        {
            Interlocked.Increment(ref _commitFailures);
            lock (_outbox.StoreLock)
                _memory = _store.LoadMemory(_options.Memory);
            throw;
        }
    }
}
