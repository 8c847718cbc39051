namespace EdgeCL.Core.Rollout;

/// <summary>Settings of an <see cref="ExemplarStore"/>.</summary>
public sealed record ExemplarStoreOptions
{
    /// <summary>Largest budget accepted: 4 GiB, far above a device's disk share for exemplars.</summary>
    public const long MaxBudgetBytes = 4L << 30;

    /// <summary>Largest single input accepted: 4 MiB (a 1.5 s clip is 48 KB, an encoded 224² image about 100 KB).</summary>
    public const int MaxInputBytes = 4 << 20;

    /// <summary>
    /// Total bytes the store may hold (see <see cref="Exemplar.Bytes"/>). Default 8 MiB: about 170 clips of 1.5 s. 0 turns the
    /// store off (a rollout then maps every class). The budget is counted in bytes rather than exemplars because exemplars and
    /// model parameters compete for the same memory ("A Model or 603 Exemplars", Zhou et al., ICLR 2023).
    /// </summary>
    public long BudgetBytes { get; init; } = 8L << 20;

    /// <summary>Seed of the eviction choices. Default 0; with the arrival order it fixes which exemplars are kept.</summary>
    public long Seed { get; init; }

    /// <summary>The defaults.</summary>
    public static ExemplarStoreOptions Default { get; } = new();

    /// <summary>Validates every setting.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it and the allowed range.</exception>
    public void Validate()
    {
        if (BudgetBytes is < 0 or > MaxBudgetBytes)
            throw new ArgumentException($"ExemplarStoreOptions.BudgetBytes must be in 0..{MaxBudgetBytes} (4 GiB), got {BudgetBytes}.");
    }
}
