using EdgeCL.Core.Evaluation;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Rollout;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Eval.Rollout;

/// <summary>
/// What a backbone rollout keeps of what was learned: a device learns the support set in the old space, keeping exemplars
/// within a byte budget; it then moves to the new space with <see cref="PrototypeMigration"/>, and its prototypes are scored on
/// the test set as the new backbone embeds it, against re-teaching every support item from scratch in the new space.
/// </summary>
/// <remarks>Runs the same code a device runs (ExemplarStore, SpaceMap, PrototypeMigration, PrototypeMemory with CL2N centring).
/// The one shortcut: an exemplar is "re-embedded" by reading the new backbone's embedding of the same file, computed once.</remarks>
public static class RolloutExperiment
{
    /// <summary>Runs every budget of <paramref name="options"/>.</summary>
    /// <param name="oldSpace">The old backbone's space.</param>
    /// <param name="newSpace">The new backbone's space.</param>
    /// <param name="support">What the device learned (with inputs).</param>
    /// <param name="test">What it is scored on.</param>
    /// <param name="calibration">Unlabelled inputs embedded by both backbones, or null.</param>
    /// <param name="options">Budgets and seeds.</param>
    /// <exception cref="ArgumentException">Sets that do not fit the spaces.</exception>
    public static IReadOnlyList<RolloutRow> Run(EmbeddingSpace oldSpace, EmbeddingSpace newSpace, RolloutSplit support, RolloutSplit test,
        RolloutSplit? calibration, RolloutExperimentOptions options)
    {
        ArgumentNullException.ThrowIfNull(support);
        ArgumentNullException.ThrowIfNull(test);
        options.Validate();
        if (support.Inputs is null)
            throw new ArgumentException("The support set needs its raw inputs: they are what an exemplar store keeps.");
        int p = oldSpace.Dimension, q = newSpace.Dimension, n = support.Labels.Count;
        string[] classes = support.Labels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        long allBytes = 0;
        for (int i = 0; i < n; i++)
            allBytes += new Exemplar(0, support.Labels[i], support.Inputs[i], new float[p]).Bytes;
        double meanBytes = (double)allBytes / n;
        float[] calibrationOld = calibration?.OldRows ?? [], calibrationNew = calibration?.NewRows ?? [];

        PrototypeMemory scratch = Teach(newSpace, support.Labels, support.NewRows, Enumerable.Range(0, n).ToArray());
        double scratchAccuracy = Accuracy(scratch, test.Labels, test.NewRows);
        var rows = new List<RolloutRow>();
        foreach (int budget in options.Budgets)
        {
            long budgetBytes = budget == RolloutExperimentOptions.All ? allBytes : (long)Math.Round(budget * classes.Length * meanBytes);
            var sums = new double[7];
            var counts = new int[7];
            for (int s = 0; s < options.Seeds; s++)
            {
                int[] order = Enumerable.Range(0, n).ToArray();
                new DeterministicRandom(DeterministicRandom.Derive(options.Seed, "rollout-order", s)).Shuffle(order);
                PrototypeMemory old = Teach(oldSpace, support.Labels, support.OldRows, order);
                var store = new ExemplarStore(oldSpace, new ExemplarStoreOptions { BudgetBytes = budgetBytes, Seed = options.Seed + s });
                var itemOf = new Dictionary<long, int>();
                foreach (int i in order)
                {
                    long sequence = store.NextSequence;
                    if (store.Add(support.Labels[i], support.Inputs[i], support.OldRows.AsSpan(i * p, p)).Stored is not null)
                        itemOf[sequence] = i;
                }
                float[] reembedded = PrototypeMigration.Reembed(store, newSpace,
                    (exemplar, destination) => support.NewRows.AsSpan(itemOf[exemplar.Sequence] * q, q).CopyTo(destination));

                Add(sums, counts, 0, Accuracy(old, test.Labels, test.OldRows));
                Add(sums, counts, 1, (double)store.Count / classes.Length);
                if (store.Count > 0)
                    Add(sums, counts, 2, Accuracy(TeachExemplars(store, newSpace, reembedded), test.Labels, test.NewRows));
                int column = 3;
                foreach (SpaceMapKind kind in new[] { SpaceMapKind.Procrustes, SpaceMapKind.Ridge })
                {
                    foreach (bool calibrated in new[] { false, true })
                    {
                        var mapOptions = new SpaceMapOptions { Kind = kind, RidgeStrength = options.RidgeStrength };
                        int pairs = store.Count + (calibrated ? calibrationOld.Length / p : 0);
                        if (pairs >= mapOptions.MinimumPairs && (!calibrated || calibrationOld.Length > 0))
                        {
                            SpaceMap map = PrototypeMigration.FitMap(store, reembedded, newSpace,
                                calibrated ? calibrationOld : [], calibrated ? calibrationNew : [], mapOptions);
                            MigrationResult result = PrototypeMigration.Migrate(old, store, reembedded, newSpace, map, MigrationMode.Blend);
                            Add(sums, counts, column, Accuracy(result.Memory, test.Labels, test.NewRows));
                        }
                        column++;
                    }
                }
            }
            double Mean(int i) => counts[i] == 0 ? double.NaN : sums[i] / counts[i];
            rows.Add(new RolloutRow(budget == RolloutExperimentOptions.All ? "all" : budget.ToString(System.Globalization.CultureInfo.InvariantCulture),
                budgetBytes / (1024.0 * 1024.0), Mean(1), Mean(0), scratchAccuracy, Mean(2), Mean(3), Mean(4), Mean(5), Mean(6)));
        }
        return rows;
    }

    private static void Add(double[] sums, int[] counts, int index, double value)
    {
        sums[index] += value;
        counts[index]++;
    }

    private static PrototypeMemory Teach(EmbeddingSpace space, IReadOnlyList<string> labels, float[] rows, int[] order)
    {
        var memory = new PrototypeMemory(space);
        int d = space.Dimension;
        foreach (int i in order)
            memory.Add(labels[i], rows.AsSpan(i * d, d));
        return memory;
    }

    /// <summary>Re-teaching from the kept exemplars alone: what <see cref="MigrationMode.ExemplarsOnly"/> gives when every class kept one
    /// (PrototypeMigrationTests shows they agree), and a class with none is lost.</summary>
    private static PrototypeMemory TeachExemplars(ExemplarStore store, EmbeddingSpace space, float[] reembedded)
    {
        var memory = new PrototypeMemory(space);
        int d = space.Dimension, row = 0;
        foreach (Exemplar exemplar in store.All())
            memory.Add(exemplar.Label, reembedded.AsSpan(row++ * d, d));
        return memory;
    }

    private static double Accuracy(PrototypeMemory memory, IReadOnlyList<string> labels, float[] rows)
    {
        int d = memory.Dimension, right = 0;
        for (int i = 0; i < labels.Count; i++)
            if (memory.Predict(rows.AsSpan(i * d, d)).Label == labels[i])
                right++;
        return (double)right / labels.Count;
    }
}
