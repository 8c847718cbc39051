using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Fleet;

/// <summary>The validity rules every fleet entry must meet before it may touch a state, a store or the wire.</summary>
public static class FleetEntryRules
{
    /// <summary>Checks an entry against every rule for <paramref name="space"/>.</summary>
    /// <returns>Null when the entry is valid; otherwise a one-line reason for logs, e.g. "the mean has NaN or infinity at index 3".</returns>
    public static string? Check(FleetEntry entry, EmbeddingSpace space)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(space);
        if (entry.SpaceId != space.Id)
            return $"space '{entry.SpaceId}' is not '{space.Id}'";
        return Check(entry, space.Dimension);
    }

    /// <summary>Checks everything except the space id; <paramref name="expectedDimension"/> 0 accepts any dimension up to the limit.</summary>
    internal static string? Check(FleetEntry entry, int expectedDimension)
    {
        if (entry.SpaceId is null || entry.DeviceId is null || entry.Label is null || entry.Mean is null)
            return "a field is null";
        if (!FleetLimits.IsValidDeviceId(entry.DeviceId))
            return $"device id '{entry.DeviceId}' is not 1-{FleetLimits.MaxDeviceIdLength} characters of A-Z a-z 0-9 . _ -";
        if (!FleetLimits.IsValidLabel(entry.Label))
            return "the label is empty, untrimmed, too long or has control characters";
        if (entry.Version < 1)
            return $"version {entry.Version} is below 1";
        if (entry.Count < 0 || entry.Count > FleetLimits.MaxCount)
            return $"count {entry.Count} is outside 0..2^53";
        if (entry.IsTombstone)
            return entry.Mean.Length == 0 ? null : "a tombstone (count 0) carries a mean";
        if (entry.Mean.Length == 0)
            return "a live entry (count > 0) has no mean";
        if (expectedDimension > 0 ? entry.Mean.Length != expectedDimension : entry.Mean.Length > FleetLimits.MaxDimension)
            return $"the mean has {entry.Mean.Length} values, expected {(expectedDimension > 0 ? expectedDimension : FleetLimits.MaxDimension)}";
        if (!VectorKernels.AllFinite(entry.Mean))
            return $"the mean has NaN or infinity at index {VectorKernels.IndexOfNonFinite(entry.Mean)}";
        return null;
    }
}
