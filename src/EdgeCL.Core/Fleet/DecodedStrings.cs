namespace EdgeCL.Core.Fleet;

/// <summary>
/// The ids and labels a decoder reads, shared instead of allocated again: a device receives the same few space ids,
/// writer ids and labels in every message, so a receiver decoding 100 messages a bundle reuses its strings.
/// </summary>
/// <remarks>One bounded set per thread (cleared when full), looked up by the decoded characters: a hit allocates nothing,
/// and no lock is taken. Callers validate a string before keeping it. Ids, space ids and labels share the set: a hit may
/// be a string kept as another kind, which is sound because callers check an id's or space id's characters before the
/// lookup, and every valid id and space id is also a valid label (FleetLimits.IsValidLabel).</remarks>
internal static class DecodedStrings
{
    private const int Capacity = 1024;

    [ThreadStatic]
    private static HashSet<string>? t_strings;

    /// <summary>The shared string equal to <paramref name="chars"/>, when this thread holds one.</summary>
    public static bool TryGet(ReadOnlySpan<char> chars, out string value)
    {
        HashSet<string>? strings = t_strings;
        if (strings is not null && strings.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(chars, out string? held))
        {
            value = held;
            return true;
        }
        value = "";
        return false;
    }

    /// <summary>The shared string equal to <paramref name="chars"/>, kept for later decodes when new; the characters
    /// must already be validated.</summary>
    public static string Share(ReadOnlySpan<char> chars) => TryGet(chars, out string held) ? held : Keep(new string(chars));

    /// <summary>Keeps a validated string for later decodes on this thread.</summary>
    public static string Keep(string value)
    {
        HashSet<string> strings = t_strings ??= new HashSet<string>(StringComparer.Ordinal);
        if (strings.Count >= Capacity)
            strings.Clear();
        strings.Add(value);
        return value;
    }
}
