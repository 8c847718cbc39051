using System.Numerics.Tensors;
using EdgeCL.Core.Errors;
using EdgeCL.Core.Learning.OpenSet;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Memory;

/// <summary>
/// Nearest-class-mean classifier: one prototype (count, mean) per class label, learned online.
/// </summary>
/// <remarks>
/// <para>Each class keeps a 64-bit count and a float32 mean; <see cref="Add"/> applies the exact running mean
/// μ ← μ + (x − μ)/n, so the mean after n examples equals their average whatever their order (up to float
/// rounding). Means live in one contiguous row-major array (classes × dimension).</para>
/// <para>Queries are compared with prototypes after centring (see <see cref="CentringMode"/>): cosine of
/// (z − c) and (μ − c), or negative squared distance (where the centre cancels). The cosine is evaluated without
/// materialising centred prototypes: (μ − c)·q̂ = μ·q̂ − c·q̂ over the raw means, divided by a cached ‖μ − c‖.
/// A labelled update moves the centre, so the norms are refreshed lazily in one read-only pass; the scores are one
/// more pass. <see cref="Predict"/> allocates nothing.</para>
/// <para>Every mutating method validates all of its input first and changes nothing when it throws.</para>
/// <para>Not thread-safe: one writer and no concurrent readers (queries share scratch buffers). Wrap it in a
/// lock to share it between threads.</para>
/// </remarks>
public sealed class PrototypeMemory
{
    private readonly int _dimension;
    private float[] _means;            // capacity × dimension, rows 0.._count−1 valid
    private float[] _inverseNorms;     // 1/‖μ − c‖ per class (0 when μ = c), valid when _normsValid
    private long[] _counts;
    private long[] _versions;
    private string[] _labels;
    private readonly Dictionary<string, int> _indexByLabel = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _tombstones = new(StringComparer.Ordinal);
    private readonly float[] _centre;
    private readonly float[] _query;
    private float[] _scores;
    private float[] _probabilities;
    private int _count;
    private long _totalCount;
    private long _centreCount;         // examples in the labelled centre: every class but the background class
    private bool _normsValid;

    /// <summary>Creates an empty memory for one embedding space.</summary>
    /// <exception cref="ArgumentException">The space or options are invalid.</exception>
    public PrototypeMemory(EmbeddingSpace space, PrototypeMemoryOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(space);
        space.Validate();
        options ??= PrototypeMemoryOptions.Default;
        options.Validate();
        Space = space;
        Options = options;
        _dimension = space.Dimension;
        const int initialCapacity = 16;
        _means = new float[initialCapacity * _dimension];
        _inverseNorms = new float[initialCapacity];
        _counts = new long[initialCapacity];
        _versions = new long[initialCapacity];
        _labels = new string[initialCapacity];
        _scores = new float[initialCapacity];
        _probabilities = new float[initialCapacity];
        _centre = new float[_dimension];
        _query = new float[_dimension];
    }

    /// <summary>The embedding space every vector must come from.</summary>
    public EmbeddingSpace Space { get; }

    /// <summary>The settings.</summary>
    public PrototypeMemoryOptions Options { get; }

    /// <summary>Embedding length.</summary>
    public int Dimension => _dimension;

    /// <summary>Number of classes.</summary>
    public int ClassCount => _count;

    /// <summary>Total labelled examples over all classes.</summary>
    public long TotalCount => _totalCount;

    /// <summary>The centre currently subtracted from queries and prototypes (zeros when centring is off).</summary>
    public ReadOnlySpan<float> Centre => _centre;

    /// <summary>Labels of forgotten classes with the version of their tombstone.</summary>
    public IReadOnlyDictionary<string, long> Tombstones => _tombstones;

    /// <summary>The label of class <paramref name="classIndex"/>.</summary>
    public string LabelAt(int classIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(classIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(classIndex, _count);
        return _labels[classIndex];
    }

    /// <summary>Summary (label, count, version) of class <paramref name="classIndex"/>.</summary>
    public ClassSummary SummaryAt(int classIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(classIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(classIndex, _count);
        return new ClassSummary(_labels[classIndex], _counts[classIndex], _versions[classIndex]);
    }

    /// <summary>The stored mean of class <paramref name="classIndex"/> (uncentred).</summary>
    public ReadOnlySpan<float> MeanAt(int classIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(classIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(classIndex, _count);
        return _means.AsSpan(classIndex * _dimension, _dimension);
    }

    /// <summary>Index of the class with this label, or −1.</summary>
    public int IndexOf(string label) => label is not null && _indexByLabel.TryGetValue(label, out int i) ? i : -1;

    /// <summary>Whether a class with this label exists.</summary>
    public bool Contains(string label) => IndexOf(label) >= 0;

    /// <summary>Folds one labelled example into its class, creating the class on first sight.</summary>
    /// <returns>The class's new example count.</returns>
    /// <exception cref="EmbeddingException">Wrong length or a NaN/Inf value.</exception>
    /// <exception cref="ArgumentException">The label is empty, too long or has control characters, or the memory is full.</exception>
    public long Add(string label, ReadOnlySpan<float> embedding)
    {
        ValidateLabel(label);
        VectorKernels.EnsureValidEmbedding(embedding, _dimension);
        int index = IndexOf(label);
        if (index < 0)
        {
            if (_count >= Options.MaxClasses)
                throw new ArgumentException(
                    $"The memory already holds {_count} classes (MaxClasses = {Options.MaxClasses}); forget a class or raise MaxClasses.");
            index = CreateClass(label);
        }
        long n = ++_counts[index];
        _versions[index]++;
        // Exact running mean: μ ← μ + (x − μ)/n.
        Span<float> mean = _means.AsSpan(index * _dimension, _dimension);
        Span<float> delta = _query; // scratch
        TensorPrimitives.Subtract(embedding, mean, delta);
        TensorPrimitives.MultiplyAdd(delta, 1f / n, mean, mean);

        _totalCount++;
        if (Options.Centring == CentringMode.LabelledMean && !ReservedLabels.IsBackground(label))
        {
            // The labelled mean is the running mean of every taught example: c ← c + (x − c)/N. Background examples
            // stay out: a pile of "not this" (talk, noise) would pull the centre off the taught classes and make every
            // untaught sample look more like one of them (measured: talk windows accepted 25 % → 48 %).
            _centreCount++;
            TensorPrimitives.Subtract(embedding, _centre, delta);
            TensorPrimitives.MultiplyAdd(delta, 1f / _centreCount, _centre, _centre);
        }
        _normsValid = false;
        return n;
    }

    /// <summary>Removes a class; its label keeps a tombstone version so a fleet can tell "forgotten" from "never seen".</summary>
    /// <returns>False when no class had this label.</returns>
    public bool Forget(string label)
    {
        int index = IndexOf(label);
        if (index < 0)
            return false;
        _tombstones[label] = _versions[index] + 1;
        _totalCount -= _counts[index];
        _indexByLabel.Remove(label);
        int last = _count - 1;
        if (index != last)
        {
            // Swap-remove keeps the rows contiguous.
            _means.AsSpan(last * _dimension, _dimension).CopyTo(_means.AsSpan(index * _dimension, _dimension));
            _counts[index] = _counts[last];
            _versions[index] = _versions[last];
            _labels[index] = _labels[last];
            _indexByLabel[_labels[index]] = index;
        }
        _labels[last] = null!;
        _means.AsSpan(last * _dimension, _dimension).Clear();
        _count--;
        if (Options.Centring == CentringMode.LabelledMean)
            RecomputeLabelledCentre();
        _normsValid = false;
        return true;
    }

    /// <summary>Removes every class and tombstone.</summary>
    public void Clear()
    {
        for (int i = 0; i < _count; i++)
            _labels[i] = null!;
        _indexByLabel.Clear();
        _tombstones.Clear();
        _count = 0;
        _totalCount = 0;
        _centreCount = 0;
        Array.Clear(_means);
        if (Options.Centring != CentringMode.Supplied)
            Array.Clear(_centre);
        _normsValid = false;
    }

    /// <summary>Sets the centre when <see cref="PrototypeMemoryOptions.Centring"/> is <see cref="CentringMode.Supplied"/>.</summary>
    /// <exception cref="InvalidOperationException">Centring is not <see cref="CentringMode.Supplied"/>.</exception>
    /// <exception cref="EmbeddingException">Wrong length or a NaN/Inf value.</exception>
    public void SetCentre(ReadOnlySpan<float> centre)
    {
        if (Options.Centring != CentringMode.Supplied)
            throw new InvalidOperationException($"SetCentre needs Centring = Supplied; this memory uses {Options.Centring}.");
        VectorKernels.EnsureValidEmbedding(centre, _dimension, "Centre");
        centre.CopyTo(_centre);
        _normsValid = false;
    }

    /// <summary>Restores one class exactly (count, version, mean), e.g. from a state file or a merged fleet state.</summary>
    /// <exception cref="EmbeddingException">Wrong length or a NaN/Inf value.</exception>
    /// <exception cref="ArgumentException">Bad label, count ≤ 0, version &lt; 1, duplicate label, or the memory is full.</exception>
    public void Restore(string label, long count, long version, ReadOnlySpan<float> mean)
    {
        ValidateLabel(label);
        VectorKernels.EnsureValidEmbedding(mean, _dimension, $"Mean of class '{label}'");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        if (Contains(label))
            throw new ArgumentException($"Class '{label}' is already present; restore into an empty memory.");
        if (_count >= Options.MaxClasses)
            throw new ArgumentException($"The memory already holds {_count} classes (MaxClasses = {Options.MaxClasses}).");
        int index = CreateClass(label);
        _counts[index] = count;
        _versions[index] = version;
        mean.CopyTo(_means.AsSpan(index * _dimension, _dimension));
        _totalCount += count;
        if (Options.Centring == CentringMode.LabelledMean)
            RecomputeLabelledCentre();
        _normsValid = false;
    }

    /// <summary>Records a tombstone (used when restoring state).</summary>
    public void RestoreTombstone(string label, long version)
    {
        ValidateLabel(label);
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        _tombstones[label] = version;
    }

    /// <summary>Classifies one embedding.</summary>
    /// <returns>The winner with score, margin, confidence and entropy; <see cref="Prediction.HasClass"/> is false for an empty memory.</returns>
    /// <exception cref="EmbeddingException">Wrong length or a NaN/Inf value.</exception>
    public Prediction Predict(ReadOnlySpan<float> embedding)
    {
        if (_count == 0)
        {
            VectorKernels.EnsureValidEmbedding(embedding, _dimension);
            return new Prediction(-1, string.Empty, 0f, 0f, 0f, 0f);
        }
        Span<float> scores = _scores.AsSpan(0, _count);
        ComputeScores(embedding, scores);
        int best = 0, second = -1;
        for (int i = 1; i < scores.Length; i++)
        {
            if (scores[i] > scores[best]) { second = best; best = i; }
            else if (second < 0 || scores[i] > scores[second]) second = i;
        }
        Span<float> p = _probabilities.AsSpan(0, _count);
        VectorKernels.Softmax(scores, Options.Temperature, p);
        float margin = second < 0 ? 0f : scores[best] - scores[second];
        return new Prediction(best, _labels[best], scores[best], margin, p[best], VectorKernels.Entropy(p));
    }

    /// <summary>Writes the <paramref name="results"/>.Length best classes, best first.</summary>
    /// <returns>How many were written: min(k, ClassCount).</returns>
    /// <exception cref="EmbeddingException">Wrong length or a NaN/Inf value.</exception>
    public int PredictTopK(ReadOnlySpan<float> embedding, Span<ClassScore> results)
    {
        if (_count == 0)
        {
            VectorKernels.EnsureValidEmbedding(embedding, _dimension);
            return 0;
        }
        Span<float> scores = _scores.AsSpan(0, _count);
        ComputeScores(embedding, scores);
        int k = Math.Min(results.Length, _count);
        // Small k: selection without extra buffers; results hold (index, score) while sorting.
        for (int r = 0; r < k; r++)
        {
            int best = -1;
            for (int i = 0; i < scores.Length; i++)
                if (best < 0 || scores[i] > scores[best])
                    best = i;
            results[r] = new ClassScore(best, _labels[best], scores[best]);
            scores[best] = float.NegativeInfinity;
        }
        return k;
    }

    /// <summary>Writes every class's score for <paramref name="embedding"/> into <paramref name="scores"/> (length ≥ ClassCount).</summary>
    /// <exception cref="EmbeddingException">Wrong length or a NaN/Inf value.</exception>
    public void Scores(ReadOnlySpan<float> embedding, Span<float> scores)
    {
        if (scores.Length < _count)
            throw new ArgumentException($"The scores span has {scores.Length} slots but the memory has {_count} classes.", nameof(scores));
        ComputeScores(embedding, scores[.._count]);
    }

    private void ComputeScores(ReadOnlySpan<float> embedding, Span<float> scores)
    {
        VectorKernels.EnsureValidEmbedding(embedding, _dimension);
        ReadOnlySpan<float> means = _means.AsSpan(0, _count * _dimension);
        if (Options.Metric == SimilarityMetric.SquaredEuclidean)
        {
            // (z − c) − (μ − c) = z − μ: centring does not change Euclidean distances.
            VectorKernels.NegativeSquaredL2Rows(means, _dimension, embedding, scores);
            return;
        }
        EnsureNorms();
        Span<float> q = _query;
        TensorPrimitives.Subtract(embedding, _centre, q);
        VectorKernels.NormalizeInPlace(q);
        // cos(z − c, μ − c) = (μ·q̂ − c·q̂) / ‖μ − c‖ with q̂ the normalised centred query.
        float centreDot = TensorPrimitives.Dot(_centre, q);
        VectorKernels.DotRows(means, _dimension, q, scores);
        TensorPrimitives.Subtract(scores, centreDot, scores);
        TensorPrimitives.Multiply(scores, _inverseNorms.AsSpan(0, _count), scores);
    }

    private void EnsureNorms()
    {
        if (_normsValid)
            return;
        for (int i = 0; i < _count; i++)
        {
            float norm = TensorPrimitives.Distance(_means.AsSpan(i * _dimension, _dimension), _centre);
            _inverseNorms[i] = norm > 0f ? 1f / norm : 0f; // a class at the centre scores 0, as a zero vector's cosine
        }
        _normsValid = true;
    }

    private void RecomputeLabelledCentre()
    {
        // Exact recomputation Σ n_c μ_c / Σ n_c over the taught classes (not the background class), in double to
        // avoid drift after many forgets.
        Array.Clear(_centre);
        _centreCount = 0;
        Span<double> sum = _dimension <= 4096 ? stackalloc double[_dimension] : new double[_dimension];
        sum.Clear();
        for (int c = 0; c < _count; c++)
        {
            if (ReservedLabels.IsBackground(_labels[c]))
                continue;
            ReadOnlySpan<float> mean = _means.AsSpan(c * _dimension, _dimension);
            double w = _counts[c];
            _centreCount += _counts[c];
            for (int j = 0; j < _dimension; j++)
                sum[j] += w * mean[j];
        }
        if (_centreCount == 0)
            return;
        for (int j = 0; j < _dimension; j++)
            _centre[j] = (float)(sum[j] / _centreCount);
    }

    private int CreateClass(string label)
    {
        if (_count == _counts.Length)
            Grow();
        int index = _count++;
        _labels[index] = label;
        _counts[index] = 0;
        // A re-learned label continues after its tombstone so versions only increase.
        _versions[index] = _tombstones.Remove(label, out long tombstone) ? tombstone : 0;
        _means.AsSpan(index * _dimension, _dimension).Clear();
        _indexByLabel[label] = index;
        return index;
    }

    private void Grow()
    {
        int capacity = Math.Min(_counts.Length * 2, Math.Max(Options.MaxClasses, 16));
        Array.Resize(ref _means, capacity * _dimension);
        Array.Resize(ref _inverseNorms, capacity);
        Array.Resize(ref _counts, capacity);
        Array.Resize(ref _versions, capacity);
        Array.Resize(ref _labels, capacity);
        Array.Resize(ref _scores, capacity);
        Array.Resize(ref _probabilities, capacity);
    }

    private void ValidateLabel(string label)
    {
        if (string.IsNullOrWhiteSpace(label))
            throw new ArgumentException("A class label must not be empty; give the class a name such as 'yes' or 'cat'.", nameof(label));
        if (label.Length > Options.MaxLabelLength)
            throw new ArgumentException($"Label '{label[..Math.Min(16, label.Length)]}…' has {label.Length} characters; the limit is {Options.MaxLabelLength}.", nameof(label));
        foreach (char ch in label)
            if (char.IsControl(ch))
                throw new ArgumentException($"Label '{label}' contains a control character; use printable text.", nameof(label));
        if (label != label.Trim())
            throw new ArgumentException($"Label '{label}' has leading or trailing spaces; trim it.", nameof(label));
        if (ReservedLabels.Problem(label) is { } reserved)
            throw new ArgumentException(reserved, nameof(label));
    }
}
