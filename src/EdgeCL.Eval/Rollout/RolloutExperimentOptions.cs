namespace EdgeCL.Eval.Rollout;

/// <summary>Settings of <see cref="RolloutExperiment"/>.</summary>
public sealed record RolloutExperimentOptions
{
    /// <summary>A budget meaning "every support item fits".</summary>
    public const int All = -1;

    /// <summary>Exemplar budgets, as exemplars per class (<see cref="All"/> = every item); each becomes a byte budget of that many
    /// average-sized exemplars per class, so the class-balanced eviction decides what is kept. Default 0, 1, 2, 4, 8, all.</summary>
    public IReadOnlyList<int> Budgets { get; init; } = [0, 1, 2, 4, 8, All];

    /// <summary>Stream orders tried per budget (which exemplars survive depends on it); figures are their mean. Default 5.</summary>
    public int Seeds { get; init; } = 5;

    /// <summary>The first seed.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>Ridge strength of the ridge maps (see <see cref="Core.Rollout.SpaceMapOptions.RidgeStrength"/>). Default 0.1.</summary>
    public double RidgeStrength { get; init; } = 0.1;

    /// <summary>Validates every setting.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        if (Budgets.Count == 0)
            throw new ArgumentException("Give at least one exemplar budget, e.g. --budgets 0,2,all.");
        foreach (int budget in Budgets)
            if (budget < All)
                throw new ArgumentException($"Exemplar budget {budget} is negative; use 0 (map only), a count per class, or 'all'.");
        if (Seeds is < 1 or > 100)
            throw new ArgumentException($"--seeds must be in 1..100, got {Seeds}.");
    }
}
