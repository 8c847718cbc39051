namespace EdgeCL.Sync.Operator;

/// <summary>Which embedding spaces <c>edgecl fleet rollout --retire</c> may clear, and what clearing one would lose.</summary>
/// <remarks>
/// Retiring a space clears every retained topic in it, the entries of devices that are gone included. A class whose
/// only live entries are there (taught by a device that was unplugged before the rollout, or by one that kept no
/// exemplars and had no map) would then be lost to the whole fleet, silently. So a space is retired only when no
/// device's status names it and every class it holds lives on in a space some device runs, unless the operator
/// accepts the loss.
/// </remarks>
public static class SpaceRetirement
{
    /// <summary>The spaces to consider: those the targets left, then any other space that holds retained entries and
    /// that no device's status names (a leftover of an earlier rollout, or of one whose retirement was refused).</summary>
    public static IReadOnlyList<string> Candidates(FleetSnapshot snapshot, IEnumerable<string> left)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(left);
        var running = Running(snapshot);
        var spaces = new List<string>(left.Distinct(StringComparer.Ordinal));
        foreach (string space in snapshot.Devices.SelectMany(d => d.Entries).Select(e => e.Space).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            if (!running.Contains(space) && !spaces.Contains(space, StringComparer.Ordinal))
                spaces.Add(space);
        return spaces;
    }

    /// <summary>Devices whose status names <paramref name="space"/> (online or not).</summary>
    public static IReadOnlyList<string> RunBy(FleetSnapshot snapshot, string space)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return [.. snapshot.Devices.Where(d => d.Space == space).Select(d => d.Device)];
    }

    /// <summary>Classes with a live (not forgotten) entry in <paramref name="space"/> and none in any space a device's
    /// status names, each with the devices that hold it there: what retiring the space would lose.</summary>
    public static IReadOnlyList<(string Label, IReadOnlyList<string> Devices)> ClassesOnlyIn(FleetSnapshot snapshot, string space)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var running = Running(snapshot);
        running.Remove(space);
        var elsewhere = new HashSet<string>(StringComparer.Ordinal);
        var here = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (FleetDeviceView device in snapshot.Devices)
            foreach (FleetEntryView entry in device.Entries)
            {
                if (entry.Tombstone)
                    continue;
                if (entry.Space == space)
                {
                    if (!here.TryGetValue(entry.Label, out SortedSet<string>? holders))
                        here[entry.Label] = holders = new SortedSet<string>(StringComparer.Ordinal);
                    holders.Add(device.Device);
                }
                else if (running.Contains(entry.Space))
                    elsewhere.Add(entry.Label);
            }
        return [.. here.Where(c => !elsewhere.Contains(c.Key)).Select(c => (c.Key, (IReadOnlyList<string>)[.. c.Value]))];
    }

    /// <summary>One line naming what would be lost, for the operator.</summary>
    public static string Describe(IReadOnlyList<(string Label, IReadOnlyList<string> Devices)> lost, int shown = 8)
    {
        ArgumentNullException.ThrowIfNull(lost);
        string list = string.Join(", ", lost.Take(shown).Select(c => $"'{c.Label}' ({string.Join(", ", c.Devices)})"));
        return lost.Count > shown ? $"{list} and {lost.Count - shown} more" : list;
    }

    private static HashSet<string> Running(FleetSnapshot snapshot) =>
        new(snapshot.Devices.Where(d => d.Space is not null).Select(d => d.Space!), StringComparer.Ordinal);
}
