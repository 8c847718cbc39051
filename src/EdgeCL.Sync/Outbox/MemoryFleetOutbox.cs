using EdgeCL.Core.Fleet;

namespace EdgeCL.Sync.Outbox;

/// <summary>An in-memory <see cref="IFleetOutbox"/>: coalesces to the newest version per class; lost on restart.</summary>
/// <remarks>Thread-safe. Use the durable EdgeCL.Storage outbox where offline learning must survive a reboot.</remarks>
public sealed class MemoryFleetOutbox : IFleetOutbox
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, FleetEntry> _latest = new(StringComparer.Ordinal);
    // Pending labels in insertion order; the sequence number orders them.
    private readonly Dictionary<string, long> _pending = new(StringComparer.Ordinal);
    private long _sequence;

    /// <summary>Number of classes waiting to be published.</summary>
    public int PendingCount
    {
        get { lock (_lock) return _pending.Count; }
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The entry is older than one already recorded for its class.</exception>
    public ValueTask AddAsync(FleetEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_lock)
        {
            if (_latest.TryGetValue(entry.Label, out FleetEntry? held) && held.Version > entry.Version)
                throw new ArgumentException(
                    $"Entry '{entry.Label}' version {entry.Version} is older than the recorded version {held.Version}; versions of a class must only increase.", nameof(entry));
            _latest[entry.Label] = entry;
            _pending[entry.Label] = ++_sequence;
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<FleetEntry>> PendingAsync(int max, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        lock (_lock)
        {
            var labels = new List<KeyValuePair<string, long>>(_pending);
            labels.Sort((a, b) => a.Value.CompareTo(b.Value));
            var result = new List<FleetEntry>(Math.Min(max, labels.Count));
            for (int i = 0; i < labels.Count && result.Count < max; i++)
                result.Add(_latest[labels[i].Key]);
            return ValueTask.FromResult<IReadOnlyList<FleetEntry>>(result);
        }
    }

    /// <inheritdoc/>
    public ValueTask MarkPublishedAsync(FleetEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_lock)
        {
            if (_latest.TryGetValue(entry.Label, out FleetEntry? held) && held.Version == entry.Version)
                _pending.Remove(entry.Label);
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<FleetEntry>> LatestAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult<IReadOnlyList<FleetEntry>>([.. _latest.Values]);
    }
}
