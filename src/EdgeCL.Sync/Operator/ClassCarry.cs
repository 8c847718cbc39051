using EdgeCL.Core.Fleet;
using EdgeCL.Core.Rollout;

namespace EdgeCL.Sync.Operator;

/// <summary>One class that <c>edgecl fleet carry</c> moves into the new space.</summary>
/// <param name="Label">The class.</param>
/// <param name="Devices">The devices whose live old-space entries it merges.</param>
/// <param name="Entry">The carrier's entry for it in the new space (signed and published by the command).</param>
public sealed record CarriedClass(string Label, IReadOnlyList<string> Devices, FleetEntry Entry);

/// <summary>What <c>edgecl fleet carry</c> does: the classes it carries, and those it leaves because a device that holds
/// them still names the old space in its status (it will move them itself, or must be decommissioned first).</summary>
public sealed record CarryPlan(IReadOnlyList<CarriedClass> Carried, IReadOnlyList<(string Label, IReadOnlyList<string> Devices)> Held);

/// <summary>
/// What only an old embedding space holds, carried into the new one (docs/rollout.md, "Carrying what only the old space
/// holds"): each class with a live entry in the old space and none in the new becomes one entry of a carrier writer in
/// the new space, the exact fleet merge of its old-space entries (count and mean, as every device of the old space holds
/// it) mapped by the old → new map fitted on the operator's calibration pairs.
/// </summary>
/// <remarks>
/// <para>Why: a class taught by a device that was unplugged before a rollout, or by one that kept nothing a map could be
/// fitted on, lives only in the old space; retiring that space would lose it for the whole fleet, so
/// <c>fleet rollout --retire</c> refuses (<see cref="SpaceRetirement"/>). A device cannot move entries it never held,
/// and a gone device cannot move at all, so the operator carries them: one map (linear maps commute with means, so
/// mapping the merged mean is mapping every example), one signed entry per class under the carrier's id, which devices
/// trust like any writer's once its public key is in their trust folder.</para>
/// <para>Only classes no device will move itself: a class held by a device whose retained status still names the old
/// space (online, or offline and perhaps coming back) is left to that device, which migrates it with its own exemplars
/// when it moves, better than a map can. A device that is gone for good is decommissioned first
/// (<c>edgecl fleet decommission</c>), as <c>--retire</c> needs anyway.</para>
/// <para>Limits: a carried class counts as one writer, so under a per-device weight cap
/// (<c>sync.max_examples_per_device</c>) it weighs at most the cap; a gone device that later comes back and moves its own
/// state would add its classes a second time beside the carried ones (forget the carried class first:
/// <c>edgecl fleet carry --undo</c>).</para>
/// </remarks>
public static class ClassCarry
{
    /// <summary>The classes to carry: live in <paramref name="old"/>, with no live entry in <paramref name="current"/>, and
    /// held by no device in <paramref name="stillInOld"/>.</summary>
    /// <param name="old">The verified retained entries of the old space.</param>
    /// <param name="current">The verified retained entries of the new space.</param>
    /// <param name="map">The old → new map.</param>
    /// <param name="carrier">The carrier's writer id.</param>
    /// <param name="stillInOld">Devices whose retained status names the old space.</param>
    /// <exception cref="ArgumentException">The map is not between the two states' spaces.</exception>
    public static CarryPlan Plan(FleetState old, FleetState current, SpaceMap map, string carrier, IReadOnlySet<string> stillInOld)
    {
        ArgumentNullException.ThrowIfNull(stillInOld);
        ArgumentNullException.ThrowIfNull(old);
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(map);
        ArgumentException.ThrowIfNullOrEmpty(carrier);
        if (map.Source.Id != old.Space.Id || map.Target.Id != current.Space.Id)
            throw new ArgumentException($"The map goes {map.Source.Id} → {map.Target.Id}, not {old.Space.Id} → {current.Space.Id}; use the calibration pairs of these two spaces.");
        var carried = new List<CarriedClass>();
        var held = new List<(string, IReadOnlyList<string>)>();
        float[] mean = new float[old.Space.Dimension];
        foreach (string label in old.Labels.Order(StringComparer.Ordinal))
        {
            if (IsLive(current, label) || !old.TryGetPrototype(label, mean, out long count, out _))
                continue;
            string[] holders = [.. old.EntriesOf(label).Where(e => !e.IsTombstone).Select(e => e.DeviceId)];
            if (holders.Any(stillInOld.Contains))
            {
                held.Add((label, holders));
                continue;
            }
            float[] mapped = new float[current.Space.Dimension];
            map.Apply(mean, mapped);
            long version = current.TryGetEntry(carrier, label, out FleetEntry? previous) ? previous.Version + 1 : 1;
            carried.Add(new CarriedClass(label, holders,
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

    private static bool IsLive(FleetState state, string label) => state.EntriesOf(label).Any(e => !e.IsTombstone);
}
