using EdgeCL.Core.Fleet;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Eval.Fleet;

/// <summary>One policy's accuracy in <see cref="CompromisedFleetExperiment"/>, each the mean over draws.</summary>
/// <param name="Policy">What merged the fleet: a <see cref="FleetMergePolicy"/>, or the coordinate-wise median (not shipped, for comparison).</param>
/// <param name="Honest">Accuracy of the honest devices' merge alone.</param>
/// <param name="Attacked">Accuracy with the compromised devices, one per <see cref="CompromisedFleetOptions.Scales"/>.</param>
public sealed record CompromisedFleetRow(string Policy, double Honest, IReadOnlyList<double> Attacked);

/// <summary>
/// What a per-device weight cap costs and buys, as a device lives (docs/fleet-aggregation.md, "A compromised device"):
/// honest devices each learn a few examples per class from the support set (their own running means, as a device's
/// <see cref="PrototypeMemory"/> keeps them); compromised devices publish, under every label, another class's support mean
/// claiming a huge count. The fleet prototypes are <see cref="FleetState.ToPrototypeMemory"/> under each policy, and the
/// score is their nearest-class-mean accuracy (the default <see cref="PrototypeMemoryOptions"/>) on the test set.
/// </summary>
public static class CompromisedFleetExperiment
{
    /// <summary>The label of the policy-free comparison row.</summary>
    public const string MedianRow = "coordinate-wise median over devices (not shipped)";

    /// <summary>Runs every policy over every draw.</summary>
    /// <exception cref="ArgumentException">The data do not fit the options (too few support items of a class, no test items).</exception>
    public static IReadOnlyList<CompromisedFleetRow> Run(EmbeddingSpace space, LabelledRows support, LabelledRows test, CompromisedFleetOptions options)
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        string[] classes = [.. support.Labels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        int need = options.Shots.Sum();
        foreach (string c in classes)
            if (support.Labels.Count(l => l == c) < need)
                throw new ArgumentException($"Class '{c}' has {support.Labels.Count(l => l == c)} support items but the honest devices need {need} (--shots {string.Join(',', options.Shots)}); give fewer shots.");
        if (classes.Length < 2 || test.Labels.Count == 0)
            throw new ArgumentException("Give at least two classes of support items and some test items.");

        FleetMergePolicy[] policies = [.. options.MaxNorms.SelectMany(norm => options.Caps.Select(cap => FleetMergePolicy.Capped(cap, norm)))];
        var honest = new double[policies.Length + 1];
        var attacked = new double[policies.Length + 1, options.Scales.Count];
        for (int draw = 0; draw < options.Draws; draw++)
        {
            FleetEntry[] good = HonestEntries(space, support, classes, options, new Random(options.Seed + draw));
            for (int p = 0; p <= policies.Length; p++)
            {
                honest[p] += Accuracy(Merge(space, good, p < policies.Length ? policies[p] : null), test);
                for (int s = 0; s < options.Scales.Count; s++)
                {
                    FleetEntry[] all = [.. good, .. AttackEntries(space, support, classes, options, options.Scales[s])];
                    attacked[p, s] += Accuracy(Merge(space, all, p < policies.Length ? policies[p] : null), test);
                }
            }
        }
        return [.. Enumerable.Range(0, policies.Length + 1).Select(p => new CompromisedFleetRow(
            p < policies.Length ? policies[p].ToString() : MedianRow,
            honest[p] / options.Draws,
            [.. Enumerable.Range(0, options.Scales.Count).Select(s => attacked[p, s] / options.Draws)]))];
    }

    // Device i learns the next Shots[i] items of every class, in this draw's order, one at a time.
    private static FleetEntry[] HonestEntries(EmbeddingSpace space, LabelledRows support, string[] classes, CompromisedFleetOptions options, Random random)
    {
        var memories = options.Shots.Select(_ => new PrototypeMemory(space)).ToArray();
        foreach (string c in classes)
        {
            int[] items = [.. Enumerable.Range(0, support.Labels.Count).Where(i => support.Labels[i] == c).OrderBy(_ => random.Next())];
            int next = 0;
            for (int d = 0; d < memories.Length; d++)
                for (int k = 0; k < options.Shots[d]; k++)
                    memories[d].Add(c, support.Row(items[next++]));
        }
        return [.. memories.SelectMany((m, d) => FleetEntryFactory.All($"honest-{d}", m))];
    }

    // Compromised device a claims, under label c, scale × the support mean of class c + 1 + a: a signed, valid entry.
    private static IEnumerable<FleetEntry> AttackEntries(EmbeddingSpace space, LabelledRows support, string[] classes, CompromisedFleetOptions options, double scale)
    {
        for (int a = 0; a < options.Attackers; a++)
            for (int c = 0; c < classes.Length; c++)
            {
                double[] mean = support.Mean(classes[(c + 1 + a) % classes.Length]);
                yield return new FleetEntry
                {
                    SpaceId = space.Id, DeviceId = $"compromised-{a}", Label = classes[c], Version = 1, Count = options.ClaimedCount,
                    Mean = Array.ConvertAll(mean, x => (float)(scale * x)),
                };
            }
    }

    private static PrototypeMemory Merge(EmbeddingSpace space, FleetEntry[] entries, FleetMergePolicy? policy)
    {
        if (policy is null)
            return CoordinateMedian(space, entries);
        var state = new FleetState(space, policy.Value);
        foreach (FleetEntry e in entries)
            state.Merge(e);
        return state.ToPrototypeMemory();
    }

    // Per class and coordinate, the median of the devices' means (each device one vote, counts ignored).
    private static PrototypeMemory CoordinateMedian(EmbeddingSpace space, FleetEntry[] entries)
    {
        var memory = new PrototypeMemory(space);
        foreach (IGrouping<string, FleetEntry> byClass in entries.GroupBy(e => e.Label).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            FleetEntry[] devices = [.. byClass];
            float[] median = new float[space.Dimension];
            float[] column = new float[devices.Length];
            for (int j = 0; j < median.Length; j++)
            {
                for (int d = 0; d < devices.Length; d++)
                    column[d] = devices[d].Mean[j];
                Array.Sort(column);
                int m = column.Length / 2;
                median[j] = column.Length % 2 == 1 ? column[m] : (float)((column[m - 1] + (double)column[m]) / 2);
            }
            memory.Restore(byClass.Key, devices.Length, 1, median);
        }
        return memory;
    }

    private static double Accuracy(PrototypeMemory memory, LabelledRows test)
    {
        int right = 0;
        for (int i = 0; i < test.Labels.Count; i++)
            if (memory.Predict(test.Row(i)).Label == test.Labels[i])
                right++;
        return (double)right / test.Labels.Count;
    }
}

/// <summary>Embedded items with their labels: row i of <see cref="Rows"/> ([items × dimension]) is item i.</summary>
public sealed record LabelledRows(IReadOnlyList<string> Labels, float[] Rows, int Dimension)
{
    /// <summary>Item i's embedding.</summary>
    public ReadOnlySpan<float> Row(int i) => Rows.AsSpan(i * Dimension, Dimension);

    /// <summary>The <paramref name="percentile"/> (0..100, nearest rank) of the items' L2 norms.</summary>
    public float NormPercentile(double percentile)
    {
        double[] norms = new double[Labels.Count];
        for (int i = 0; i < norms.Length; i++)
        {
            double squares = 0;
            foreach (float x in Row(i))
                squares += (double)x * x;
            norms[i] = Math.Sqrt(squares);
        }
        Array.Sort(norms);
        return norms.Length == 0 ? 0 : (float)norms[Math.Clamp((int)Math.Ceiling(percentile / 100 * norms.Length) - 1, 0, norms.Length - 1)];
    }

    /// <summary>The mean embedding of one label's items, in double.</summary>
    public double[] Mean(string label)
    {
        var sum = new double[Dimension];
        int n = 0;
        for (int i = 0; i < Labels.Count; i++)
        {
            if (Labels[i] != label)
                continue;
            n++;
            ReadOnlySpan<float> row = Row(i);
            for (int j = 0; j < Dimension; j++)
                sum[j] += row[j];
        }
        for (int j = 0; j < Dimension; j++)
            sum[j] /= Math.Max(1, n);
        return sum;
    }
}
