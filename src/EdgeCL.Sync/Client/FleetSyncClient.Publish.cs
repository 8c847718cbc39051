using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Payloads;

namespace EdgeCL.Sync.Client;

// Publishing this device's own entries: one at a time, a signed payload from a durable outbox, or a batch signed once.
public sealed partial class FleetSyncClient
{
    /// <summary>Publishes one of this device's own entries (a new version of a class, or a tombstone).</summary>
    /// <remarks>
    /// Merges the entry locally at once (as decoded from its own payload), records it in the outbox and wakes the
    /// connection loop; it does not wait for the broker. While offline the outbox keeps it until the next connect.
    /// </remarks>
    /// <exception cref="ArgumentException">The entry belongs to another device or space, has the wrong dimension, or is not newer than the last one of its class.</exception>
    public ValueTask PublishAsync(FleetEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        EnsurePublishable(entry);
        byte[] payload = _codec.Encode(entry);
        if (!_codec.TryDecode(payload, out FleetEntry? wire, out SyncDropReason reason))
            throw new InvalidOperationException($"The codec cannot decode its own payload for '{entry.Label}' ({reason}); check that this device's key is in its trust store.");
        return PublishCoreAsync(entry, payload, wire, cancellationToken);
    }

    /// <summary>Publishes an already encoded (signed) own entry, e.g. the payload that was committed to a durable outbox with the change.</summary>
    /// <remarks>The exact bytes are what the broker receives, so the stored announcement and the published one are identical. Otherwise as <see cref="PublishAsync"/>.</remarks>
    /// <exception cref="ArgumentException">The payload does not decode and verify with this client's codec, or its entry is not publishable (see <see cref="PublishAsync"/>).</exception>
    public ValueTask PublishPayloadAsync(byte[] payload, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!_codec.TryDecode(payload, out FleetEntry? wire, out SyncDropReason reason))
            throw new ArgumentException($"The payload to publish does not decode with device '{_options.DeviceId}''s codec ({reason}); encode it with the same codec and key.", nameof(payload));
        EnsurePublishable(wire);
        return PublishCoreAsync(wire, payload, wire, cancellationToken);
    }

    private void EnsurePublishable(FleetEntry entry)
    {
        if (entry.DeviceId != _options.DeviceId)
            throw new ArgumentException($"Entry of device '{entry.DeviceId}' cannot be published by device '{_options.DeviceId}'; a device writes only its own entries.", nameof(entry));
        if (entry.SpaceId != _options.Space.Id)
            throw new ArgumentException($"Entry '{entry.Label}' is from space {entry.SpaceId} but this client syncs space {_options.Space.Id}.", nameof(entry));
        if (!entry.IsTombstone && entry.Mean.Length != _options.Space.Dimension)
            throw new ArgumentException($"Entry '{entry.Label}' has {entry.Mean.Length} values; space {_options.Space.Id} is {_options.Space.Dimension}-d.", nameof(entry));
        if (entry.Version < 1)
            throw new ArgumentException($"Entry '{entry.Label}' has version {entry.Version}; versions start at 1.", nameof(entry));
    }

    private async ValueTask PublishCoreAsync(FleetEntry entry, byte[] payload, FleetEntry wire, CancellationToken cancellationToken, bool wake = true)
    {
        lock (_encodedLock)
        {
            if (_encoded.TryGetValue(entry.Label, out var held) && held.Version > entry.Version)
                throw new ArgumentException($"Entry '{entry.Label}' version {entry.Version} is older than the published version {held.Version}; increment the version on every change.", nameof(entry));
            // An equal version was already taken from a durable outbox by a rebirth running concurrently: same entry, keep it.
            if (held.Payload is null || held.Version < entry.Version)
                _encoded[entry.Label] = (entry.Version, payload);
        }
        await _outbox.AddAsync(entry, cancellationToken).ConfigureAwait(false);
        FleetMergeOutcome outcome;
        lock (_stateLock)
            outcome = _state.Merge(wire);
        if (outcome is FleetMergeOutcome.Applied or FleetMergeOutcome.Conflict)
        {
            Interlocked.Increment(ref _merged);
            RaiseStateChanged(wire, isOwn: true, payload);
        }
        if (wake)
            _wake.Writer.TryWrite(0);
    }

    /// <summary>
    /// Publishes several of this device's own entries at once (a flush of learned classes): the codec signs them together
    /// (one ECDSA signature for the batch, <see cref="Core.Fleet.Signing.SignedPayload"/>), and each is then published
    /// as <see cref="PublishPayloadAsync"/> does, retained on its own topic and verifiable on its own.
    /// </summary>
    /// <exception cref="ArgumentException">An entry is not publishable (see <see cref="PublishAsync"/>), or two entries are of the same class.</exception>
    public async ValueTask PublishBatchAsync(IReadOnlyList<FleetEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var labels = new HashSet<string>(StringComparer.Ordinal);
        foreach (FleetEntry entry in entries)
        {
            ArgumentNullException.ThrowIfNull(entry, nameof(entries));
            EnsurePublishable(entry);
            if (!labels.Add(entry.Label))
                throw new ArgumentException($"The batch holds two entries of class '{entry.Label}'; publish only the newest.", nameof(entries));
        }
        IReadOnlyList<byte[]> payloads = _codec.EncodeBatch(entries);
        for (int i = 0; i < entries.Count; i++)
        {
            // Read back like a received copy (the first costs one verification, the rest hit the codec's verified roots).
            if (!_codec.TryDecode(payloads[i], out FleetEntry? wire, out SyncDropReason reason))
                throw new InvalidOperationException($"The codec cannot decode its own payload for '{entries[i].Label}' ({reason}); check that this device's key is in its trust store.");
            await PublishCoreAsync(entries[i], payloads[i], wire, cancellationToken, wake: false).ConfigureAwait(false);
        }
        // One wake for the whole batch, so the connection loop takes it as one flush (one bundle, not one per entry).
        _wake.Writer.TryWrite(0);
    }
}
