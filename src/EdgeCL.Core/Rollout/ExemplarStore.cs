using EdgeCL.Core.Evaluation;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Rollout;

/// <summary>
/// A bounded, class-balanced store of raw exemplars per class: what a device keeps so that a new backbone can re-embed
/// what it learned instead of mapping it.
/// </summary>
/// <remarks>
/// <para><b>Budget.</b> The store never holds more than <see cref="ExemplarStoreOptions.BudgetBytes"/> (counted by
/// <see cref="Exemplar.Bytes"/>). When an arrival takes it over, exemplars are evicted until it fits again, each time from
/// the class that holds the most exemplars (ties: the most bytes, then the label in ordinal order), so every class keeps
/// about the same number: a class taught 200 times does not crowd out one taught 5 times.</para>
/// <para><b>Which one goes.</b> Within that class the victim is drawn uniformly among its exemplars, the new arrival
/// included, from a generator seeded by <see cref="ExemplarStoreOptions.Seed"/> and the arrival's sequence: the same arrivals
/// keep the same exemplars, also across restarts. A full class thus keeps a random sample of its examples, weighted
/// towards recent ones (each arrival evicts one of k + 1), which follows a room that changes.</para>
/// <para>Every method validates its input first and changes nothing when it throws. Not thread-safe: one writer.</para>
/// </remarks>
public sealed class ExemplarStore
{
    private readonly SortedDictionary<string, List<Exemplar>> _byLabel = new(StringComparer.Ordinal);
    private long _nextSequence = 1;

    /// <summary>Creates an empty store for one embedding space.</summary>
    /// <exception cref="ArgumentException">The space or options are invalid.</exception>
    public ExemplarStore(EmbeddingSpace space, ExemplarStoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(space);
        space.Validate();
        options ??= ExemplarStoreOptions.Default;
        options.Validate();
        Space = space;
        Options = options;
    }

    /// <summary>The space of every stored embedding.</summary>
    public EmbeddingSpace Space { get; }

    /// <summary>The settings.</summary>
    public ExemplarStoreOptions Options { get; }

    /// <summary>Exemplars held.</summary>
    public int Count { get; private set; }

    /// <summary>Bytes held, as counted against the budget.</summary>
    public long TotalBytes { get; private set; }

    /// <summary>Classes with at least one exemplar.</summary>
    public int ClassCount => _byLabel.Count;

    /// <summary>The sequence the next arrival gets.</summary>
    public long NextSequence => _nextSequence;

    /// <summary>Labels with exemplars, in ordinal order.</summary>
    public IEnumerable<string> Labels => _byLabel.Keys;

    /// <summary>The exemplars of one class in arrival order; empty when it has none.</summary>
    public IReadOnlyList<Exemplar> ExemplarsOf(string label) =>
        label is not null && _byLabel.TryGetValue(label, out List<Exemplar>? list) ? list : [];

    /// <summary>Every exemplar, by class (ordinal) and then arrival.</summary>
    public IEnumerable<Exemplar> All()
    {
        foreach (List<Exemplar> list in _byLabel.Values)
            foreach (Exemplar exemplar in list)
                yield return exemplar;
    }

    /// <summary>Keeps a copy of one labelled input and its embedding, evicting others if the budget requires.</summary>
    /// <returns>What was stored and evicted; <see cref="ExemplarChange.None"/> when the store is off (budget 0).</returns>
    /// <exception cref="RolloutException">The label is empty, the input empty or over <see cref="ExemplarStoreOptions.MaxInputBytes"/>,
    /// the embedding of the wrong length or NaN, or this one exemplar is larger than the whole budget.</exception>
    public ExemplarChange Add(string label, ReadOnlySpan<byte> input, ReadOnlySpan<float> embedding)
    {
        if (Options.BudgetBytes == 0)
            return ExemplarChange.None;
        var exemplar = new Exemplar(_nextSequence, label, input.ToArray(), embedding.ToArray());
        Validate(exemplar);
        if (exemplar.Bytes > Options.BudgetBytes)
            throw new RolloutException(
                $"An exemplar of class '{label}' takes {exemplar.Bytes} bytes, more than the whole exemplar budget of {Options.BudgetBytes}; raise the budget or keep shorter inputs.");
        _nextSequence++;
        Insert(exemplar);
        List<long> evicted = EvictToBudget(DeterministicRandom.Derive(Options.Seed, "exemplar-eviction", exemplar.Sequence));
        bool keptNew = !evicted.Remove(exemplar.Sequence);
        return new ExemplarChange(keptNew ? exemplar : null, evicted);
    }

    /// <summary>Drops every exemplar of a class (what forgetting the class does).</summary>
    /// <returns>The sequences removed.</returns>
    public IReadOnlyList<long> Forget(string label)
    {
        if (label is null || !_byLabel.TryGetValue(label, out List<Exemplar>? list))
            return [];
        long[] removed = new long[list.Count];
        for (int i = 0; i < removed.Length; i++)
            removed[i] = list[i].Sequence;
        foreach (Exemplar exemplar in list.ToArray())
            Remove(exemplar);
        return removed;
    }

    /// <summary>Puts back one stored exemplar (loading a state database); the next arrival's sequence follows the largest seen.</summary>
    /// <exception cref="RolloutException">The exemplar is invalid, its sequence is taken, or it would take the store over its budget
    /// (the budget was lowered since it was stored).</exception>
    public void Restore(Exemplar exemplar)
    {
        ArgumentNullException.ThrowIfNull(exemplar);
        Validate(exemplar);
        if (exemplar.Sequence < 1)
            throw new RolloutException($"Exemplar sequence {exemplar.Sequence} is invalid; sequences start at 1.");
        foreach (Exemplar existing in ExemplarsOf(exemplar.Label))
            if (existing.Sequence == exemplar.Sequence)
                throw new RolloutException($"Exemplar sequence {exemplar.Sequence} is already in the store.");
        if (TotalBytes + exemplar.Bytes > Options.BudgetBytes)
            throw new RolloutException(
                $"The stored exemplars take more than the exemplar budget of {Options.BudgetBytes} bytes (at exemplar {exemplar.Sequence} of class '{exemplar.Label}'); " +
                "raise the budget back, or shrink the store with a budget change that evicts.");
        Insert(exemplar);
        _nextSequence = Math.Max(_nextSequence, exemplar.Sequence + 1);
    }

    /// <summary>
    /// The same exemplars in another space: each gets its row of <paramref name="embeddings"/> (in <see cref="All"/> order),
    /// and the store evicts, class-balanced, if the new embeddings take it over its budget.
    /// </summary>
    /// <returns>The new store, and the sequences it evicted.</returns>
    /// <exception cref="RolloutException">Rows of the wrong length, or NaN.</exception>
    public (ExemplarStore Store, IReadOnlyList<long> Evicted) Rebase(EmbeddingSpace space, ReadOnlySpan<float> embeddings)
    {
        ArgumentNullException.ThrowIfNull(space);
        space.Validate();
        if (embeddings.Length != (long)Count * space.Dimension)
            throw new RolloutException(
                $"Re-embedding {Count} exemplars into {space} needs {(long)Count * space.Dimension} values, got {embeddings.Length}.");
        if (!VectorKernels.AllFinite(embeddings))
            throw new RolloutException($"The re-embedded exemplars hold NaN or infinity at index {VectorKernels.IndexOfNonFinite(embeddings)}; check the new backbone.");
        var rebased = new ExemplarStore(space, Options) { _nextSequence = _nextSequence };
        int row = 0;
        foreach (Exemplar exemplar in All())
            rebased.Insert(exemplar with { Embedding = embeddings.Slice(row++ * space.Dimension, space.Dimension).ToArray() });
        return (rebased, rebased.EvictToBudget(DeterministicRandom.Derive(Options.Seed, "exemplar-rebase", _nextSequence)));
    }

    private void Validate(Exemplar exemplar)
    {
        if (string.IsNullOrWhiteSpace(exemplar.Label) || exemplar.Label.Length > 1024)
            throw new RolloutException("An exemplar needs a class label of 1..1024 characters.");
        if (exemplar.Input is null || exemplar.Input.Length == 0 || exemplar.Input.Length > ExemplarStoreOptions.MaxInputBytes)
            throw new RolloutException(
                $"The input of an exemplar of class '{exemplar.Label}' is {exemplar.Input?.Length ?? 0} bytes; keep 1..{ExemplarStoreOptions.MaxInputBytes} bytes of raw input.");
        if (exemplar.Embedding is null || exemplar.Embedding.Length != Space.Dimension || !VectorKernels.AllFinite(exemplar.Embedding))
            throw new RolloutException(
                $"The embedding of an exemplar of class '{exemplar.Label}' must be {Space.Dimension} finite values (space {Space.Id}); " +
                "check that it comes from the backbone the store belongs to.");
    }

    /// <summary>Evicts, class-balanced, until the store fits its budget; returns the sequences evicted.</summary>
    private List<long> EvictToBudget(ulong seed)
    {
        var evicted = new List<long>();
        var random = new DeterministicRandom(seed);
        while (TotalBytes > Options.BudgetBytes)
        {
            List<Exemplar> victims = LargestClass();
            Exemplar victim = victims[random.NextInt(0, victims.Count)];
            Remove(victim);
            evicted.Add(victim.Sequence);
        }
        return evicted;
    }

    private List<Exemplar> LargestClass()
    {
        List<Exemplar>? best = null;
        long bestBytes = 0;
        foreach (List<Exemplar> list in _byLabel.Values) // ordinal label order: the first of equals wins
        {
            long bytes = 0;
            foreach (Exemplar exemplar in list)
                bytes += exemplar.Bytes;
            if (best is null || list.Count > best.Count || (list.Count == best.Count && bytes > bestBytes))
            {
                best = list;
                bestBytes = bytes;
            }
        }
        return best!;
    }

    private void Insert(Exemplar exemplar)
    {
        if (!_byLabel.TryGetValue(exemplar.Label, out List<Exemplar>? list))
            _byLabel[exemplar.Label] = list = [];
        // Arrival order within a class, also when restoring rows in another order.
        int at = list.Count;
        while (at > 0 && list[at - 1].Sequence > exemplar.Sequence)
            at--;
        list.Insert(at, exemplar);
        Count++;
        TotalBytes += exemplar.Bytes;
    }

    private void Remove(Exemplar exemplar)
    {
        List<Exemplar> list = _byLabel[exemplar.Label];
        list.Remove(exemplar);
        if (list.Count == 0)
            _byLabel.Remove(exemplar.Label);
        Count--;
        TotalBytes -= exemplar.Bytes;
    }
}
