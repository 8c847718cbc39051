using System.Runtime.InteropServices;

namespace EdgeCL.Core.Fleet;

/// <summary>
/// The total order the merge uses to pick one entry per (device, label): the merge keeps the maximum, which makes
/// it a join of a semilattice (commutative, associative, idempotent).
/// </summary>
public static class FleetEntryOrder
{
    /// <summary>
    /// Compares two entries for the same (device, label): higher <see cref="FleetEntry.Version"/> first; at the same
    /// version a tombstone beats a live entry (a forget must not be undone by a conflicting write), then the higher
    /// count, then the mean compared element by element as raw bits. Zero means identical content.
    /// </summary>
    /// <returns>Positive when <paramref name="a"/> wins, negative when <paramref name="b"/> wins, zero when they are identical.</returns>
    public static int Compare(FleetEntry a, FleetEntry b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        int c = a.Version.CompareTo(b.Version);
        if (c != 0)
            return c;
        c = a.IsTombstone.CompareTo(b.IsTombstone);
        if (c != 0)
            return c;
        c = a.Count.CompareTo(b.Count);
        if (c != 0)
            return c;
        c = a.Mean.Length.CompareTo(b.Mean.Length);
        if (c != 0)
            return c;
        // Raw bits give a total order even for -0 vs +0; the first difference decides.
        ReadOnlySpan<uint> x = MemoryMarshal.Cast<float, uint>(a.Mean.AsSpan());
        ReadOnlySpan<uint> y = MemoryMarshal.Cast<float, uint>(b.Mean.AsSpan());
        int mismatch = x.CommonPrefixLength(y);
        return mismatch == x.Length ? 0 : x[mismatch].CompareTo(y[mismatch]);
    }

    /// <summary>Whether <paramref name="candidate"/> would replace <paramref name="current"/> in a merge.</summary>
    public static bool Supersedes(FleetEntry candidate, FleetEntry current) => Compare(candidate, current) > 0;
}
