using System.Numerics.Tensors;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Rollout;

/// <summary>Embeds one exemplar's raw input with the new backbone.</summary>
/// <param name="exemplar">The exemplar (its <see cref="Exemplar.Input"/> is what the backbone reads).</param>
/// <param name="embedding">Receives the embedding: the new space's dimension long.</param>
public delegate void ExemplarEmbedder(Exemplar exemplar, Span<float> embedding);

/// <summary>
/// Moves a prototype memory and its exemplar store from one embedding space to another: classes with exemplars are
/// re-computed from what the new backbone makes of them, classes without are mapped.
/// </summary>
/// <remarks>
/// <para>The steps, each usable alone: <see cref="Reembed"/> (the new backbone over every kept input),
/// <see cref="FitMap"/> (a <see cref="SpaceMap"/> on the (old, new) pairs those give, plus any calibration pairs) and
/// <see cref="Migrate"/> (the new memory and store).</para>
/// <para>Nothing is changed in place: the old memory and store stay valid, so a refused migration leaves the device exactly
/// as it was, and old and new can serve side by side while a fleet moves.</para>
/// </remarks>
public static class PrototypeMigration
{
    /// <summary>Re-embeds every exemplar of <paramref name="store"/> (in <see cref="ExemplarStore.All"/> order) into <paramref name="target"/>.</summary>
    /// <returns>Row-major Count × target dimension.</returns>
    /// <exception cref="RolloutException">The new backbone wrote NaN or infinity.</exception>
    public static float[] Reembed(ExemplarStore store, EmbeddingSpace target, ExemplarEmbedder embed)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(embed);
        target.Validate();
        int d = target.Dimension;
        var rows = new float[(long)store.Count * d];
        int row = 0;
        foreach (Exemplar exemplar in store.All())
        {
            Span<float> destination = rows.AsSpan(row++ * d, d);
            embed(exemplar, destination);
            if (!VectorKernels.AllFinite(destination))
                throw new RolloutException($"The new backbone made NaN or infinity of exemplar {exemplar.Sequence} (class '{exemplar.Label}'); check the model and the stored input.");
        }
        return rows;
    }

    /// <summary>
    /// Fits a map from the store's space to <paramref name="target"/> on every exemplar's (old, re-embedded) pair, plus
    /// calibration pairs: unlabelled inputs embedded by both backbones, for a map that also covers classes no exemplar shows.
    /// </summary>
    /// <param name="store">The exemplars (old space).</param>
    /// <param name="reembedded">Their rows in the new space, from <see cref="Reembed"/>.</param>
    /// <param name="target">The new space.</param>
    /// <param name="calibrationSource">Calibration inputs in the old space (row-major), or empty.</param>
    /// <param name="calibrationTarget">The same inputs in the new space, or empty.</param>
    /// <param name="options">Fitting settings, or null for the defaults.</param>
    /// <exception cref="RolloutException">Too few pairs in all, lengths that disagree, or NaN (see <see cref="SpaceMap.Fit"/>).</exception>
    public static SpaceMap FitMap(ExemplarStore store, ReadOnlySpan<float> reembedded, EmbeddingSpace target,
        ReadOnlySpan<float> calibrationSource, ReadOnlySpan<float> calibrationTarget, SpaceMapOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(target);
        int p = store.Space.Dimension;
        if (reembedded.Length != (long)store.Count * target.Dimension)
            throw new RolloutException($"{store.Count} exemplars re-embedded into {target} need {(long)store.Count * target.Dimension} values, got {reembedded.Length}.");
        var source = new float[(long)store.Count * p + calibrationSource.Length];
        var targetRows = new float[reembedded.Length + calibrationTarget.Length];
        int row = 0;
        foreach (Exemplar exemplar in store.All())
            exemplar.Embedding.CopyTo(source.AsSpan(row++ * p, p));
        calibrationSource.CopyTo(source.AsSpan(store.Count * p));
        reembedded.CopyTo(targetRows);
        calibrationTarget.CopyTo(targetRows.AsSpan(reembedded.Length));
        return SpaceMap.Fit(store.Space, target, source, targetRows, options);
    }

    /// <summary>Builds the new-space memory and exemplar store. The inputs are not changed.</summary>
    /// <param name="memory">The old-space prototypes.</param>
    /// <param name="store">The old-space exemplars (same space as <paramref name="memory"/>).</param>
    /// <param name="reembedded">The exemplars in the new space, from <see cref="Reembed"/>.</param>
    /// <param name="target">The new space: the one the new backbone produces.</param>
    /// <param name="map">The old → new map, or null when every class has all of its examples as exemplars.</param>
    /// <param name="mode">How classes with exemplars are re-computed.</param>
    /// <exception cref="RolloutException">The spaces disagree (memory, store, map, target), the target is the old space, the rows
    /// have the wrong length or NaN, or a class needs a map and none was given.</exception>
    public static MigrationResult Migrate(PrototypeMemory memory, ExemplarStore store, ReadOnlySpan<float> reembedded, EmbeddingSpace target,
        SpaceMap? map, MigrationMode mode = MigrationMode.Blend)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(target);
        target.Validate();
        EmbeddingSpace old = memory.Space;
        if (!Enum.IsDefined(mode))
            throw new RolloutException($"Migration mode {(int)mode} is unknown; use blend or exemplars-only.");
        if (store.Space != old)
            throw new RolloutException($"The exemplar store is in space {store.Space} but the prototypes are in {old}; they must come from the same state.");
        if (target.Id == old.Id)
            throw new RolloutException($"The state is already in space {old}; a rollout needs a backbone that produces another space.");
        if (map is not null && (map.Source != old || map.Target != target))
            throw new RolloutException($"The map goes {map.Source} → {map.Target}, but this rollout goes {old} → {target}; fit a map for this pair of backbones.");
        if (memory.Options.Centring == CentringMode.Supplied && map is null)
            throw new RolloutException("The prototypes use a supplied centre, which only a map can carry to the new space; fit a map.");
        (ExemplarStore rebased, IReadOnlyList<long> evicted) = store.Rebase(target, reembedded); // validates the rows

        int p = old.Dimension, q = target.Dimension;
        var migrated = new PrototypeMemory(target, memory.Options);
        var classes = new List<ClassMigration>(memory.ClassCount);
        var mean = new float[q];
        var sumOld = new float[p];
        var restOld = new float[p];
        var rest = new float[q];
        var rowOf = RowIndex(store);
        for (int c = 0; c < memory.ClassCount; c++)
        {
            ClassSummary summary = memory.SummaryAt(c);
            IReadOnlyList<Exemplar> exemplars = store.ExemplarsOf(summary.Label);
            int k = exemplars.Count;
            long n = summary.Count;
            Array.Clear(mean);
            Array.Clear(sumOld);
            foreach (Exemplar exemplar in exemplars)
            {
                TensorPrimitives.Add(mean, reembedded.Slice(rowOf[exemplar.Sequence] * q, q), mean);
                TensorPrimitives.Add(sumOld, exemplar.Embedding, sumOld);
            }
            ClassMigration record;
            if (k == 0)
            {
                if (map is null)
                    throw new RolloutException($"Class '{summary.Label}' has no exemplars and no map was given; fit a map on the exemplars or calibration inputs.");
                map.Apply(memory.MeanAt(c), mean);
                record = new ClassMigration(summary.Label, n, n, 0, ClassMigrationSource.Mapped);
            }
            else if (k >= n || mode == MigrationMode.ExemplarsOnly || map is null)
            {
                TensorPrimitives.Multiply(mean, 1f / k, mean);
                record = new ClassMigration(summary.Label, n, k, k, ClassMigrationSource.Exemplars);
            }
            else
            {
                // The n − k examples not kept: their old-space mean is (n·μ − Σ old exemplars) / (n − k); a linear map of that
                // mean is the mean of their mapped embeddings, so the blend is the map applied only where it must be.
                TensorPrimitives.Multiply(memory.MeanAt(c), (float)n, restOld);
                TensorPrimitives.Subtract(restOld, sumOld, restOld);
                TensorPrimitives.Multiply(restOld, 1f / (n - k), restOld);
                map.Apply(restOld, rest);
                TensorPrimitives.MultiplyAdd(rest, (float)(n - k), mean, mean);
                TensorPrimitives.Multiply(mean, 1f / n, mean);
                record = new ClassMigration(summary.Label, n, n, k, ClassMigrationSource.Blend);
            }
            migrated.Restore(summary.Label, record.Count, summary.Version + 1, mean);
            classes.Add(record);
        }
        foreach ((string label, long version) in memory.Tombstones)
            migrated.RestoreTombstone(label, version);
        if (memory.Options.Centring == CentringMode.Supplied)
        {
            map!.Apply(memory.Centre, mean);
            migrated.SetCentre(mean);
        }
        return new MigrationResult(migrated, rebased, evicted, classes, map);
    }

    private static Dictionary<long, int> RowIndex(ExemplarStore store)
    {
        var rows = new Dictionary<long, int>(store.Count);
        int row = 0;
        foreach (Exemplar exemplar in store.All())
            rows[exemplar.Sequence] = row++;
        return rows;
    }
}
