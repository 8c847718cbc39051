using EdgeCL.Core.Fleet;
using EdgeCL.Core.Rollout;

namespace EdgeCL.Sync.Operator;

/// <summary>One class that <c>edgecl fleet carry</c> moves into the new space.</summary>
/// <param name="Label">The class.</param>
/// <param name="Devices">The devices whose live old-space entries it merges (for a tombstone: those that moved it since).</param>
/// <param name="Entry">The carrier's entry for it in the new space (signed and published by the command); a tombstone
/// when every device it was carried for has moved the class itself.</param>
public sealed record CarriedClass(string Label, IReadOnlyList<string> Devices, FleetEntry Entry);

/// <summary>What <c>edgecl fleet carry</c> does: the classes it carries, and those it leaves because a device that holds
/// them still names the old space in its status (it will move them itself, or must be decommissioned first).</summary>
public sealed record CarryPlan(IReadOnlyList<CarriedClass> Carried, IReadOnlyList<(string Label, IReadOnlyList<string> Devices)> Held);

/// <summary>
/// What only an old embedding space holds, carried into the new one (docs/rollout.md, "Carrying what only the old space
/// holds"): per class, the old-space contributions of devices that are gone (no live entry of the class in the new
/// space) become one entry of a carrier writer in the new space: their exact merge (count and mean) mapped by the
/// old → new map fitted on the operator's calibration pairs.
/// </summary>
/// <remarks>
/// <para>Why: a class taught by a device that was unplugged before a rollout, or by one that kept nothing a map could be
/// fitted on, lives only in the old space; retiring that space would lose it for the whole fleet, so
/// <c>fleet rollout --retire</c> refuses (<see cref="SpaceRetirement"/>). The same holds, unnoticed by that check, for a
/// gone device's share of a class that others moved. A device cannot move entries it never held, and a gone device
/// cannot move at all, so the operator carries them: one map (linear maps commute with means, so mapping the merged
/// mean is mapping every example), one signed entry per class under the carrier's id, which devices trust like any
/// writer's once its public key is in their trust folder.</para>
/// <para>Only what no device will move itself: a class held by a device whose retained status still names the old
/// space (online, or offline and perhaps coming back) is left to its devices, which migrate it with their own exemplars
/// when they move, better than a map can. A device that is gone for good is decommissioned first
/// (<c>edgecl fleet decommission</c>), as <c>--retire</c> needs anyway. Running the command again reconciles: a device
/// that came back and moved the class itself drops out of the carried merge (a new version, or a tombstone when none
/// is left), so nothing counts twice while the old space's entries are still retained.</para>
/// <para>Limits: a carried class counts as one writer, so under a per-device weight cap
/// (<c>sync.max_examples_per_device</c>) it weighs at most the cap. After the old space is retired, a device that comes
/// back can no longer be told apart: retract its classes with <c>edgecl fleet carry --undo --classes …</c>.</para>
/// </remarks>
public static class ClassCarry
{
    /// <summary>What to publish: per class live in <paramref name="old"/>, the merge of the old-space contributions whose
    /// devices hold no live entry of it in <paramref name="current"/> (gone), unless a holder is in
    /// <paramref name="stillInOld"/>; a tombstone where every holder has since moved the class itself; nothing where the
    /// carrier's entry already says the same.</summary>
    /// <param name="old">The verified retained entries of the old space.</param>
    /// <param name="current">The verified retained entries of the new space.</param>
    /// <param name="map">The old → new map.</param>
    /// <param name="carrier">The carrier's writer id.</param>
    /// <param name="stillInOld">Devices whose retained status names the old space.</param>
    /// <exception cref="ArgumentException">The map is not between the two states' spaces.</exception>
    public static CarryPlan Plan(FleetState old, FleetState current, SpaceMap map, string carrier, IReadOnlySet<string> stillInOld)
    {
        ArgumentNullException.ThrowIfNull(old);
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(stillInOld);
        ArgumentException.ThrowIfNullOrEmpty(carrier);
        if (map.Source.Id != old.Space.Id || map.Target.Id != current.Space.Id)
            throw new ArgumentException($"The map goes {map.Source.Id} → {map.Target.Id}, not {old.Space.Id} → {current.Space.Id}; use the calibration pairs of these two spaces.");
        var carried = new List<CarriedClass>();
        var held = new List<(string, IReadOnlyList<string>)>();
        float[] mean = new float[old.Space.Dimension];
        foreach (string label in old.Labels.Order(StringComparer.Ordinal))
        {
            FleetEntry[] live = [.. old.EntriesOf(label).Where(e => !e.IsTombstone)];
            if (live.Length == 0)
                continue;
            if (live.Any(e => stillInOld.Contains(e.DeviceId)))
            {
                held.Add((label, [.. live.Select(e => e.DeviceId)]));
                continue;
            }
            // A contribution its device moved itself (re-embedded from its exemplars) is in the new space already; the
            // others, of devices that are gone, are carried. A device that comes back and moves drops out at the next run.
            // The carrier's own old entry (carried there by an earlier rollout) is always carried on: nothing moves it.
            FleetEntry[] gone = [.. live.Where(e => e.DeviceId == carrier || !(current.TryGetEntry(e.DeviceId, label, out FleetEntry? moved) && !moved.IsTombstone))];
            bool carrying = current.TryGetEntry(carrier, label, out FleetEntry? previous) && !previous.IsTombstone;
            long version = previous is null ? 1 : previous.Version + 1;
            if (gone.Length == 0)
            {
                if (carrying) // every holder moved it since: the carried entry would count them twice
                    carried.Add(new CarriedClass(label, [.. live.Select(e => e.DeviceId)],
                        new FleetEntry { SpaceId = current.Space.Id, DeviceId = carrier, Label = label, Version = version, Count = 0, Mean = [] }));
                continue;
            }
            var contributions = new FleetState(old.Space, old.Policy);
            foreach (FleetEntry entry in gone)
                contributions.Merge(entry);
            contributions.TryGetPrototype(label, mean, out long count, out _);
            float[] mapped = new float[current.Space.Dimension];
            map.Apply(mean, mapped);
            if (carrying && previous!.Count == count && previous.Mean.AsSpan().SequenceEqual(mapped))
                continue; // carried already, as it is
            carried.Add(new CarriedClass(label, [.. gone.Select(e => e.DeviceId)],
                new FleetEntry { SpaceId = current.Space.Id, DeviceId = carrier, Label = label, Version = version, Count = count, Mean = mapped }));
        }
        return new CarryPlan(carried, held);
    }

    /// <summary>Tombstones for every live class the carrier holds in <paramref name="current"/>: what <c>--undo</c> publishes.</summary>
    public static IReadOnlyList<FleetEntry> Undo(FleetState current, string carrier)
    {
        ArgumentNullException.ThrowIfNull(current);
        var tombstones = new List<FleetEntry>();
        foreach (string label in current.Labels.Order(StringComparer.Ordinal))
            if (current.TryGetEntry(carrier, label, out FleetEntry? held) && !held.IsTombstone)
                tombstones.Add(new FleetEntry { SpaceId = current.Space.Id, DeviceId = carrier, Label = label, Version = held.Version + 1, Count = 0, Mean = [] });
        return tombstones;
    }

}
