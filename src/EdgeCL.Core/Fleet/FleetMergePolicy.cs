namespace EdgeCL.Core.Fleet;

/// <summary>
/// How a class's fleet prototype weighs each device's contribution: by its example count (the default), with the weight
/// capped at <see cref="MaxExamplesPerDevice"/>, and with the device's mean shrunk to at most <see cref="MaxMeanNorm"/>
/// (docs/fleet-aggregation.md, "A compromised device").
/// </summary>
/// <remarks>
/// <para>A device with a valid key can claim any count (up to 2^53) for any vector; with count weighting one such entry
/// outweighs every honest device of the class. The cap bounds its weight: each entry weighs min(n, cap). The norm bound
/// bounds its vector: a mean longer than the bound is scaled down to it, so an inflated vector cannot pull the class
/// further than a plausible one. Together, one device moves a class mean by at most
/// cap / (Σ of the others' weights + cap) × (bound + the class mean's norm).</para>
/// <para>The policy applies when a state is read, never when entries merge, and it transforms each entry on its own
/// (weight w = min(n, cap), factor s = min(1, bound / ‖μ‖), ‖μ‖ summed in double in index order), so the mean
/// Σ w·s·μ / Σ w is a pure function of the entry set, summed in ordinal device order: as exact, order-independent and
/// idempotent as the count-weighted one, and a device can still take its own old entry out of an aggregate and put its
/// new one in. Every device and aggregator of a fleet must use the same policy; an aggregate records the one it was
/// built with and a device refuses another.</para>
/// <para>The default value (no cap, no bound) is today's count weighting, bit for bit.</para>
/// </remarks>
public readonly record struct FleetMergePolicy
{
    /// <summary>Count weighting, no cap, no norm bound.</summary>
    public static FleetMergePolicy CountWeighted => default;

    /// <summary>The most examples one device's entry may weigh in a class's mean; 0 = no cap.</summary>
    public long MaxExamplesPerDevice { get; init; }

    /// <summary>The longest (L2) a device's mean may be before it is scaled down to this length; 0 = no bound.</summary>
    public float MaxMeanNorm { get; init; }

    /// <summary>True when a cap applies.</summary>
    public bool IsCapped => MaxExamplesPerDevice > 0;

    /// <summary>True when a norm bound applies.</summary>
    public bool IsNormBounded => MaxMeanNorm > 0;

    /// <summary>True for plain count weighting (the default).</summary>
    public bool IsCountWeighted => !IsCapped && !IsNormBounded;

    /// <summary>A policy capping each device's weight at <paramref name="maxExamplesPerDevice"/> (0 = no cap) and bounding
    /// each device's mean at <paramref name="maxMeanNorm"/> (0 = no bound).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range (see <see cref="Check"/>).</exception>
    public static FleetMergePolicy Capped(long maxExamplesPerDevice, float maxMeanNorm = 0)
    {
        var policy = new FleetMergePolicy { MaxExamplesPerDevice = maxExamplesPerDevice, MaxMeanNorm = maxMeanNorm };
        if (policy.Check() is { } problem)
            throw new ArgumentOutOfRangeException(nameof(maxExamplesPerDevice), problem);
        return policy;
    }

    /// <summary>The weight of an entry with <paramref name="count"/> examples: the count, or the cap when lower.</summary>
    public long Weight(long count) => IsCapped && count > MaxExamplesPerDevice ? MaxExamplesPerDevice : count;

    /// <summary>What each value of an entry's mean is multiplied by in the class sum: its weight, times the factor that
    /// shrinks the mean to <see cref="MaxMeanNorm"/> when it is longer.</summary>
    public double Multiplier(long count, ReadOnlySpan<float> mean)
    {
        double w = Weight(count);
        if (!IsNormBounded)
            return w;
        double squares = 0;
        foreach (float x in mean)
            squares += (double)x * x;
        double norm = Math.Sqrt(squares);
        return norm > MaxMeanNorm ? w * (MaxMeanNorm / norm) : w;
    }

    /// <summary>Why the policy is out of range, or null.</summary>
    public string? Check()
    {
        if (MaxExamplesPerDevice is < 0 or > FleetLimits.MaxCount)
            return $"the per-device cap {MaxExamplesPerDevice} is outside 0..2^53 (0 = no cap)";
        if (!float.IsFinite(MaxMeanNorm) || MaxMeanNorm < 0)
            return $"the mean norm bound {MaxMeanNorm} is not a finite number >= 0 (0 = no bound)";
        return null;
    }

    /// <summary>"count-weighted", "cap N", "norm <= B" or both, for logs and reports.</summary>
    public override string ToString() => IsCountWeighted ? "count-weighted"
        : string.Join(", ", new[] { IsCapped ? $"cap {MaxExamplesPerDevice}" : null, IsNormBounded ? $"norm <= {MaxMeanNorm.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)}" : null }.Where(s => s is not null));
}
