namespace EdgeCL.Core.Rollout;

/// <summary>What one <see cref="ExemplarStore.Add"/> did, for a state database to mirror in the same transaction as the learn.</summary>
/// <param name="Stored">The new exemplar, or null when it was not kept (the store is off, or it was the one evicted).</param>
/// <param name="Evicted">Sequences of previously stored exemplars removed to stay within the budget.</param>
public sealed record ExemplarChange(Exemplar? Stored, IReadOnlyList<long> Evicted)
{
    /// <summary>Nothing stored, nothing evicted.</summary>
    public static ExemplarChange None { get; } = new(null, []);
}
