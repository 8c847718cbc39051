namespace EdgeCL.Core.Learning.OpenSet;

/// <summary>Labels with a meaning of their own: the background classes, and names a class may not take.</summary>
/// <remarks>
/// Two kinds of background (negative) class exist, both taught and synced like any class, and a prediction of either
/// is "unknown": <see cref="Background"/>, material that is none of the taught classes (noise, other words), and
/// <c>_background:&lt;label&gt;</c> (<see cref="BackgroundFor"/>), the false alarms a user corrected while the device
/// answered <c>label</c>. Why one negative class per answered label: the mean of everything a user ever rejected is a
/// blur that wins against no class (a background of 288 clips of 12 words changed nothing), while the false alarms of
/// one class sit next to that class ("forty" next to "four") and their mean beats it where it errs.
/// </remarks>
public static class ReservedLabels
{
    /// <summary>The background (negative) class: material that is none of the taught classes. Taught and synced like
    /// any class; a prediction of it is "unknown".</summary>
    public const string Background = "_background";

    /// <summary>What a rejected prediction is called in output; never a class.</summary>
    public const string Unknown = "unknown";

    private const string BackgroundPrefix = Background + ":";

    /// <summary>Whether <paramref name="label"/> is a background class: <see cref="Background"/> or <c>_background:&lt;label&gt;</c>.</summary>
    public static bool IsBackground(string? label) =>
        label is not null && label.StartsWith(Background, StringComparison.Ordinal)
        && (label.Length == Background.Length || label[Background.Length] == ':');

    /// <summary>The negative class of <paramref name="answered"/>: where a false alarm answered as that label is taught
    /// (<c>_background:four</c>). A background label maps to itself.</summary>
    public static string BackgroundFor(string answered)
    {
        ArgumentException.ThrowIfNullOrEmpty(answered);
        return IsBackground(answered) ? answered : BackgroundPrefix + answered;
    }

    /// <summary>Why <paramref name="label"/> cannot name a taught class, or null when it can. Labels starting with '_'
    /// are reserved for EdgeCL (only the background classes exist), and "unknown" is the answer for rejected samples.</summary>
    public static string? Problem(string label)
    {
        if (string.Equals(label, Unknown, StringComparison.OrdinalIgnoreCase))
            return $"Label '{label}' is reserved: it is what EdgeCL answers for untaught material; teach that material as '{Background}' instead.";
        if (label.StartsWith(BackgroundPrefix, StringComparison.Ordinal))
        {
            string answered = label[BackgroundPrefix.Length..];
            if (answered.Length == 0 || answered.StartsWith('_') || string.Equals(answered, Unknown, StringComparison.OrdinalIgnoreCase))
                return $"Label '{label}' names no class's false alarms; write '{BackgroundPrefix}<label>' with a taught label, or '{Background}'.";
            return null;
        }
        if (label.StartsWith('_') && label != Background)
            return $"Label '{label}' is reserved (labels starting with '_' belong to EdgeCL: '{Background}' and '{BackgroundPrefix}<label>'); rename the class.";
        return null;
    }
}
