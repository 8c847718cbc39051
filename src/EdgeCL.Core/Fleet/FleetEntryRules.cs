using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Fleet;

/// <summary>Validation shared by the merge, the codec and the factory.</summary>
internal static class FleetEntryRules
{
    /// <summary>Checks everything except the space; returns null when valid, else a one-line reason.</summary>
    public static string? Check(FleetEntry entry, int expectedDimension)
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
