using CsCheck;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Tests.Fleet;

/// <summary>Generators over a small universe, so that collisions, duplicates and same-version conflicts are common.</summary>
internal static class FleetGen
{
    public static readonly EmbeddingSpace Space = new("00ff00ff00ff00ff", 3);

    /// <summary>One entry of 3 devices × 3 labels × versions 1..4, with means from a few values.</summary>
    public static readonly Gen<FleetEntry> Entry =
        Gen.Select(Gen.Int[0, 2], Gen.Int[0, 2], Gen.Int[1, 4], Gen.Int[0, 9], Gen.Int[0, 2].Array[3])
            .Select((device, label, version, kind, values) => new FleetEntry
            {
                SpaceId = Space.Id,
                DeviceId = $"d{device}",
                Label = $"c{label}",
                Version = version,
                Count = kind == 0 ? 0 : 1 + (kind % 3),
                Mean = kind == 0 ? [] : Array.ConvertAll(values, v => v * 0.5f - 0.25f),
            });

    public static readonly Gen<FleetEntry[]> Entries = Entry.Array[0, 30];

    public static FleetState StateOf(IEnumerable<FleetEntry> entries)
    {
        var state = new FleetState(Space);
        foreach (FleetEntry e in entries)
            state.Merge(e);
        return state;
    }

    public static FleetState Merged(params FleetState[] states)
    {
        var result = new FleetState(Space);
        foreach (FleetState s in states)
            result.Merge(s);
        return result;
    }

    public static FleetEntry Live(string device, string label, long version, long count, params float[] mean) => new()
    {
        SpaceId = Space.Id,
        DeviceId = device,
        Label = label,
        Version = version,
        Count = count,
        Mean = mean,
    };

    public static FleetEntry Tombstone(string device, string label, long version) => new()
    {
        SpaceId = Space.Id,
        DeviceId = device,
        Label = label,
        Version = version,
        Count = 0,
        Mean = [],
    };
}
