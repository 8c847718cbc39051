namespace EdgeCL.Core.Fleet;

/// <summary>
/// How a class's fleet prototype weighs each device's contribution: by its example count (the default), or by its count
/// capped at <see cref="MaxExamplesPerDevice"/> (docs/fleet-aggregation.md, "A compromised device").
/// </summary>
/// <remarks>
/// <para>A device with a valid key can claim any count (up to 2^53) for any vector; with count weighting one such entry
/// outweighs every honest device of the class. With a cap, each device's entry weighs min(n, cap), so one device moves a
/// class by at most cap / (Σ of the others' weights + cap) of the way to its vector, whatever it claims.</para>
/// <para>The policy applies when a state is read, never when entries merge: the merge stays the same join of
/// (device, class) slots, and the capped mean is a pure function of the entry set, summed in ordinal device order, so it
/// is as exact, order-independent and idempotent as the uncapped one. Every device and aggregator of a fleet must use
/// the same policy; an aggregate records the one it was built with and a device refuses another.</para>
/// <para>The default value (cap 0) is today's count weighting, bit for bit.</para>
/// </remarks>
public readonly record struct FleetMergePolicy
{
    /// <summary>Count weighting, no cap.</summary>
    public static FleetMergePolicy CountWeighted => default;

    /// <summary>The most examples one device's entry may weigh in a class's mean; 0 = no cap.</summary>
    public long MaxExamplesPerDevice { get; init; }

    /// <summary>True when a cap applies.</summary>
    public bool IsCapped => MaxExamplesPerDevice > 0;

    /// <summary>A policy capping each device's weight at <paramref name="maxExamplesPerDevice"/> (0 = no cap).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The cap is negative or above <see cref="FleetLimits.MaxCount"/>.</exception>
    public static FleetMergePolicy Capped(long maxExamplesPerDevice)
    {
        var policy = new FleetMergePolicy { MaxExamplesPerDevice = maxExamplesPerDevice };
        if (policy.Check() is { } problem)
            throw new ArgumentOutOfRangeException(nameof(maxExamplesPerDevice), maxExamplesPerDevice, problem);
        return policy;
    }

    /// <summary>The weight of an entry with <paramref name="count"/> examples: the count, or the cap when lower.</summary>
    public long Weight(long count) => IsCapped && count > MaxExamplesPerDevice ? MaxExamplesPerDevice : count;

    /// <summary>Why the policy is out of range, or null.</summary>
    public string? Check() => MaxExamplesPerDevice is < 0 or > FleetLimits.MaxCount
        ? $"the per-device cap {MaxExamplesPerDevice} is outside 0..2^53 (0 = no cap)"
        : null;

    /// <summary>"count-weighted" or "cap N", for logs and reports.</summary>
    public override string ToString() => IsCapped ? $"cap {MaxExamplesPerDevice}" : "count-weighted";
}
