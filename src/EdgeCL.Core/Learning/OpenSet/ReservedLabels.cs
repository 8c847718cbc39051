namespace EdgeCL.Core.Learning.OpenSet;

/// <summary>Labels with a meaning of their own: the background class, and names a class may not take.</summary>
public static class ReservedLabels
{
    /// <summary>The background (negative) class: material that is none of the taught classes. Taught and synced like
    /// any class; a prediction of it is "unknown".</summary>
    public const string Background = "_background";

    /// <summary>What a rejected prediction is called in output; never a class.</summary>
    public const string Unknown = "unknown";

    /// <summary>Why <paramref name="label"/> cannot name a taught class, or null when it can. Labels starting with '_'
    /// are reserved for EdgeCL (only <see cref="Background"/> exists), and "unknown" is the answer for rejected samples.</summary>
    public static string? Problem(string label)
    {
        if (string.Equals(label, Unknown, StringComparison.OrdinalIgnoreCase))
            return $"Label '{label}' is reserved: it is what EdgeCL answers for untaught material; teach that material as '{Background}' instead.";
        if (label.StartsWith('_') && label != Background)
            return $"Label '{label}' is reserved (labels starting with '_' belong to EdgeCL; the one that exists is '{Background}'); rename the class.";
        return null;
    }
}
