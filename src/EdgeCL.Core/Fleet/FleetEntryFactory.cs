using EdgeCL.Core.Memory;

namespace EdgeCL.Core.Fleet;

/// <summary>Turns a device's local <see cref="PrototypeMemory"/> into its own fleet entries.</summary>
/// <remarks>
/// A class's entry version is the memory's class version: <see cref="PrototypeMemory.Add"/> raises it by one per
/// example, a forget records a tombstone one above it, and a re-learned label continues after its tombstone, so the
/// versions a device publishes only go up.
/// </remarks>
public static class FleetEntryFactory
{
    /// <summary>The entry for one label: the live class, or its tombstone.</summary>
    /// <exception cref="ArgumentException">The device id is invalid, or the memory holds neither a class nor a tombstone for <paramref name="label"/>.</exception>
    public static FleetEntry ForLabel(string deviceId, PrototypeMemory memory, string label)
    {
        FleetLimits.EnsureValidDeviceId(deviceId);
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(label);
        return TryCreate(deviceId, memory, label)
            ?? throw new ArgumentException($"The memory holds neither a class nor a tombstone for label '{label}'; only labels it learned or forgot have entries.", nameof(label));
    }

    /// <summary>Entries for every class and tombstone of the memory, in ordinal label order.</summary>
    /// <exception cref="ArgumentException">The device id is invalid.</exception>
    public static IReadOnlyList<FleetEntry> All(string deviceId, PrototypeMemory memory)
    {
        FleetLimits.EnsureValidDeviceId(deviceId);
        ArgumentNullException.ThrowIfNull(memory);
        var labels = new List<string>(memory.ClassCount + memory.Tombstones.Count);
        for (int c = 0; c < memory.ClassCount; c++)
            labels.Add(memory.LabelAt(c));
        labels.AddRange(memory.Tombstones.Keys);
        labels.Sort(StringComparer.Ordinal);
        var entries = new List<FleetEntry>(labels.Count);
        foreach (string label in labels)
            entries.Add(TryCreate(deviceId, memory, label)!);
        return entries;
    }

    /// <summary>
    /// The entries this device still has to announce: those whose version is above what <paramref name="known"/>
    /// holds for (<paramref name="deviceId"/>, label), plus a tombstone for every label <paramref name="known"/> holds
    /// live for this device that the memory no longer knows at all (after <see cref="PrototypeMemory.Clear"/>).
    /// </summary>
    /// <remarks>Merge the returned entries into <paramref name="known"/> once they are committed to the outbox.</remarks>
    /// <exception cref="ArgumentException">The device id is invalid.</exception>
    /// <exception cref="Errors.EmbeddingException">The memory and <paramref name="known"/> are of different spaces.</exception>
    public static IReadOnlyList<FleetEntry> Changes(string deviceId, PrototypeMemory memory, FleetState known)
    {
        ArgumentNullException.ThrowIfNull(known);
        IReadOnlyList<FleetEntry> all = All(deviceId, memory);
        known.Space.EnsureSame(memory.Space, "The memory");
        var changes = new List<FleetEntry>();
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (FleetEntry entry in all)
        {
            present.Add(entry.Label);
            if (!known.TryGetEntry(deviceId, entry.Label, out FleetEntry? held) || entry.Version > held.Version)
                changes.Add(entry);
        }
        foreach (FleetEntry held in known.Entries)
        {
            if (held.DeviceId == deviceId && !held.IsTombstone && !present.Contains(held.Label))
                changes.Add(Tombstone(memory.Space.Id, deviceId, held.Label, held.Version + 1));
        }
        return changes;
    }

    private static FleetEntry? TryCreate(string deviceId, PrototypeMemory memory, string label)
    {
        int index = memory.IndexOf(label);
        if (index >= 0)
        {
            ClassSummary summary = memory.SummaryAt(index);
            return new FleetEntry
            {
                SpaceId = memory.Space.Id,
                DeviceId = deviceId,
                Label = label,
                Version = summary.Version,
                Count = summary.Count,
                Mean = memory.MeanAt(index).ToArray(),
            };
        }
        return memory.Tombstones.TryGetValue(label, out long version) ? Tombstone(memory.Space.Id, deviceId, label, version) : null;
    }

    private static FleetEntry Tombstone(string spaceId, string deviceId, string label, long version) => new()
    {
        SpaceId = spaceId,
        DeviceId = deviceId,
        Label = label,
        Version = version,
        Count = 0,
        Mean = [],
    };
}
