namespace EdgeCL.Eval.Fleet;

/// <summary>Settings of <see cref="CompromisedFleetExperiment"/>.</summary>
public sealed record CompromisedFleetOptions
{
    /// <summary>Examples per class each honest device is taught, one number per device (disjoint draws from the support
    /// set). Default 1, 2, 3, 5, 8: devices that heard a word a different number of times.</summary>
    public IReadOnlyList<int> Shots { get; init; } = [1, 2, 3, 5, 8];

    /// <summary>Per-device weight caps to compare (0 = count weighting). Default 0, 1, 2, 4, 8, 16.</summary>
    public IReadOnlyList<long> Caps { get; init; } = [0, 1, 2, 4, 8, 16];

    /// <summary>Mean norm bounds to compare (0 = none); every cap is tried with every bound. Default 0.</summary>
    public IReadOnlyList<float> MaxNorms { get; init; } = [0];

    /// <summary>Compromised devices. Default 1.</summary>
    public int Attackers { get; init; } = 1;

    /// <summary>The count each compromised entry claims. Default 10^6.</summary>
    public long ClaimedCount { get; init; } = 1_000_000;

    /// <summary>Attack vectors: for class c, this multiple of another class's support mean (1 = a plausible embedding of
    /// the wrong word; larger = an inflated one). Default 1, 10.</summary>
    public IReadOnlyList<double> Scales { get; init; } = [1, 10];

    /// <summary>Random draws of which support items each device gets; figures are their mean. Default 10.</summary>
    public int Draws { get; init; } = 10;

    /// <summary>The first draw's seed.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Validates every setting.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        if (Shots.Count == 0 || Shots.Any(s => s < 1))
            throw new ArgumentException("--shots needs one count >= 1 per honest device, e.g. --shots 1,2,3,5,8.");
        if (Caps.Count == 0 || Caps.Any(c => c < 0 || c > Core.Fleet.FleetLimits.MaxCount))
            throw new ArgumentException("--caps needs caps in 0..2^53 (0 = count weighting), e.g. --caps 0,2,8.");
        if (MaxNorms.Count == 0 || MaxNorms.Any(n => !float.IsFinite(n) || n < 0))
            throw new ArgumentException("--max-norms needs finite bounds >= 0 (0 = none), e.g. --max-norms 0,p95.");
        if (Attackers is < 1 or > 100)
            throw new ArgumentException($"--attackers must be in 1..100, got {Attackers}.");
        if (ClaimedCount is < 1 or > Core.Fleet.FleetLimits.MaxCount)
            throw new ArgumentException($"--claimed must be in 1..2^53, got {ClaimedCount}.");
        if (Scales.Count == 0 || Scales.Any(s => !double.IsFinite(s) || s <= 0))
            throw new ArgumentException("--scales needs positive multiples, e.g. --scales 1,10.");
        if (Draws is < 1 or > 1000)
            throw new ArgumentException($"--draws must be in 1..1000, got {Draws}.");
    }
}
