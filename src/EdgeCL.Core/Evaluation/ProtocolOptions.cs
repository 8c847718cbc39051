using System.Globalization;

namespace EdgeCL.Core.Evaluation;

/// <summary>Settings of a stream protocol.</summary>
public sealed record ProtocolOptions
{
    /// <summary>The protocol.</summary>
    public ProtocolKind Kind { get; init; } = ProtocolKind.ClassIncremental;

    /// <summary>Labelled examples per class (k). Default 5.</summary>
    public int Shots { get; init; } = 5;

    /// <summary>Class-incremental and mixed: number of tasks the classes are split into (0 = one task per two classes).</summary>
    public int Tasks { get; init; }

    /// <summary>Domain shift: how many times the sequence of domains repeats (CoTTA's rounds). Default 1.</summary>
    public int Rounds { get; init; } = 1;

    /// <summary>Fraction of each class's target items held out for evaluation; 0 evaluates on the streamed samples
    /// themselves (transductive, the static protocol of feasibility.md §4). Default 0.2.</summary>
    public double Holdout { get; init; } = 0.2;

    /// <summary>Label correlation of the unlabelled order: a Dirichlet concentration γ (RoTTA's sampler,
    /// <see cref="LabelCorrelation"/>), or 0 for a shuffled order. Default 0.</summary>
    public double Correlation { get; init; }

    /// <summary>Seed of every random choice (support draw, class order, stream order, held-out split).</summary>
    public long Seed { get; init; } = 1;

    /// <summary>Validates the ranges.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; names the command-line option.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Kind))
            throw new ArgumentException($"Unknown protocol {Kind}.");
        if (Shots is < 1 or > 100_000)
            throw new ArgumentException($"--shots must be in 1..100000, got {Shots}.");
        if (Tasks is < 0 or > 100_000)
            throw new ArgumentException($"--tasks must be in 0..100000 (0 = automatic), got {Tasks}.");
        if (Rounds is < 1 or > 1000)
            throw new ArgumentException($"--rounds must be in 1..1000, got {Rounds}.");
        if (Correlation != 0)
            LabelCorrelation.Check(Correlation);
        if (!(Holdout >= 0 && Holdout <= 0.9))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--holdout must be in 0..0.9, got {Holdout}."));
    }
}
