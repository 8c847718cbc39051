using System.Buffers.Binary;
using System.Security.Cryptography;
using EdgeCL.Core.Fleet;

namespace EdgeCL.Sync.State;

/// <summary>
/// A small last-writer-per-(device, class) CRDT with the exact count-weighted fleet prototype, used by the sync client's
/// tests and the fleet simulation until EdgeCL.Core's <c>FleetState</c> is wired in.
/// </summary>
/// <remarks>
/// Merge keeps the higher version per (device, class), so it is idempotent, commutative and associative. The fleet
/// prototype of a class is Σ_d n_d·μ_d / Σ_d n_d over live entries, summed in double in ordinal device order so every
/// replica computes bit-identical prototypes. Not thread-safe: one writer, readers synchronised by the caller.
/// </remarks>
public sealed class InterimFleetState : IFleetStateTarget
{
    private readonly SortedDictionary<(string Device, string Label), FleetEntry> _entries = new(KeyComparer.Instance);

    /// <summary>Creates an empty state for one embedding space.</summary>
    public InterimFleetState(string spaceId, int dimension)
    {
        ArgumentException.ThrowIfNullOrEmpty(spaceId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        SpaceId = spaceId;
        Dimension = dimension;
    }

    /// <summary>The embedding space this state accepts.</summary>
    public string SpaceId { get; }

    /// <summary>Length of every live mean.</summary>
    public int Dimension { get; }

    /// <summary>Entries held, tombstones included.</summary>
    public int EntryCount => _entries.Count;

    /// <summary>Every entry in (device, label) ordinal order.</summary>
    public IEnumerable<FleetEntry> Entries => _entries.Values;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The entry is from another space or has a mean of the wrong length.</exception>
    public bool Merge(FleetEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.SpaceId != SpaceId)
            throw new ArgumentException($"Entry {entry.DeviceId}/{entry.Label} is from space {entry.SpaceId}, this state is {SpaceId}.", nameof(entry));
        if (!entry.IsTombstone && entry.Mean.Length != Dimension)
            throw new ArgumentException($"Entry {entry.DeviceId}/{entry.Label} has {entry.Mean.Length} values, expected {Dimension}.", nameof(entry));
        var key = (entry.DeviceId, entry.Label);
        if (_entries.TryGetValue(key, out FleetEntry? held) && held.Version >= entry.Version)
            return false;
        _entries[key] = entry;
        return true;
    }

    /// <summary>Labels with at least one live entry, ordinal order.</summary>
    public IReadOnlyList<string> LiveLabels()
    {
        var labels = new SortedSet<string>(StringComparer.Ordinal);
        foreach (FleetEntry e in _entries.Values)
            if (!e.IsTombstone)
                labels.Add(e.Label);
        return [.. labels];
    }

    /// <summary>Writes the fleet prototype of <paramref name="label"/>; returns its total count (0 when no live entry).</summary>
    public long Prototype(string label, Span<float> destination)
    {
        if (destination.Length != Dimension)
            throw new ArgumentException($"Destination has {destination.Length} values, expected {Dimension}.", nameof(destination));
        var sum = new double[Dimension];
        long total = 0;
        foreach (FleetEntry e in _entries.Values)
        {
            if (e.IsTombstone || e.Label != label)
                continue;
            total += e.Count;
            for (int j = 0; j < Dimension; j++)
                sum[j] += e.Count * (double)e.Mean[j];
        }
        for (int j = 0; j < Dimension; j++)
            destination[j] = total == 0 ? 0f : (float)(sum[j] / total);
        return total;
    }

    /// <summary>A SHA-256 digest (hex) of every (device, label, version, count, mean); equal digests mean identical states.</summary>
    public string Digest()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> number = stackalloc byte[8];
        foreach (FleetEntry e in _entries.Values)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(e.DeviceId));
            hash.AppendData([0]);
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(e.Label));
            hash.AppendData([0]);
            BinaryPrimitives.WriteInt64LittleEndian(number, e.Version);
            hash.AppendData(number);
            BinaryPrimitives.WriteInt64LittleEndian(number, e.Count);
            hash.AppendData(number);
            hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(e.Mean.AsSpan()));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private sealed class KeyComparer : IComparer<(string Device, string Label)>
    {
        public static readonly KeyComparer Instance = new();

        public int Compare((string Device, string Label) x, (string Device, string Label) y)
        {
            int c = string.CompareOrdinal(x.Device, y.Device);
            return c != 0 ? c : string.CompareOrdinal(x.Label, y.Label);
        }
    }
}
