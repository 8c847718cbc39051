using System.Numerics.Tensors;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Learning;

/// <summary>k nearest labelled examples after CL2N centring: the 1-NN baseline of feasibility.md §4.</summary>
/// <remarks>
/// <para>Keeps every labelled embedding (up to <c>knn.max-examples</c>) in one row-major array. Queries and
/// examples are centred by the mean of all labelled examples and, for cosine, L2-normalised; the k most similar
/// examples vote, ties going to the class with the most similar example. A class's score is its most similar
/// example, so confidence and entropy come from a softmax over those per-class scores.</para>
/// <para>The prepared (centred, normalised) rows are rebuilt lazily after the centre changes: O(examples ×
/// dimension) once per batch of labels. Not thread-safe.</para>
/// </remarks>
public sealed class KnnLearner : IStreamLearner
{
    /// <summary>Registry name.</summary>
    public const string MethodName = "knn";

    /// <summary>Parameter: neighbours that vote.</summary>
    public const string NeighboursKey = "knn.k";

    /// <summary>Parameter: most labelled examples kept.</summary>
    public const string MaxExamplesKey = "knn.max-examples";

    private readonly int _dimension;
    private readonly int _neighbours;
    private readonly int _maxExamples;
    private readonly LearnerOptions _options;
    private float[] _rows = [];
    private float[] _prepared = [];
    private int[] _rowClass = [];
    private int _rowCount;
    private readonly List<string> _labels = [];
    private readonly Dictionary<string, int> _classIndex = new(StringComparer.Ordinal);
    private readonly double[] _sum;
    private int _sumCount; // rows in _sum: every row but the background class's
    private readonly float[] _centre;
    private readonly float[] _query;
    private float[] _similarities = [];
    private float[] _classScores = [];
    private float[] _probabilities = [];
    private int[] _votes = [];
    private readonly int[] _top;
    private readonly float[] _topValues;
    private bool _preparedValid;

    /// <summary>Creates an empty learner.</summary>
    /// <exception cref="ArgumentException">Bad options or parameters.</exception>
    public KnnLearner(EmbeddingSpace space, LearnerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(space);
        space.Validate();
        _options = options ?? LearnerOptions.Default;
        _options.Validate();
        Space = space;
        _dimension = space.Dimension;
        _neighbours = _options.GetInt(NeighboursKey, 1, 1, 1000);
        _maxExamples = _options.GetInt(MaxExamplesKey, 100_000, 1, 10_000_000);
        _sum = new double[_dimension];
        _centre = new float[_dimension];
        _query = new float[_dimension];
        _top = new int[_neighbours];
        _topValues = new float[_neighbours];
    }

    /// <inheritdoc/>
    public string Name => MethodName;

    /// <inheritdoc/>
    public EmbeddingSpace Space { get; }

    /// <inheritdoc/>
    public int ClassCount => _labels.Count;

    /// <summary>Labelled examples stored.</summary>
    public int ExampleCount => _rowCount;

    /// <summary>Bytes held by the rows (raw and prepared), their classes and the per-query buffers (capacity, not only the used part).</summary>
    public long MemoryBytes => 4L * (_rows.Length + _prepared.Length + _similarities.Length + _rowClass.Length)
        + 4L * (_classScores.Length + _probabilities.Length + _votes.Length) + 8L * _sum.Length + 4L * (_centre.Length + _query.Length);

    /// <inheritdoc/>
    public void Learn(string label, ReadOnlySpan<float> embedding)
    {
        if (string.IsNullOrWhiteSpace(label))
            throw new ArgumentException("A class label must not be empty.", nameof(label));
        if (OpenSet.ReservedLabels.Problem(label) is { } reserved)
            throw new ArgumentException(reserved, nameof(label));
        VectorKernels.EnsureValidEmbedding(embedding, _dimension);
        if (_rowCount >= _maxExamples)
            throw new ArgumentException($"The kNN memory already holds {_rowCount} examples ({MaxExamplesKey} = {_maxExamples}); raise it or forget a class.");
        if (!_classIndex.TryGetValue(label, out int c))
        {
            c = _labels.Count;
            _labels.Add(label);
            _classIndex[label] = c;
        }
        EnsureCapacity(_rowCount + 1);
        embedding.CopyTo(_rows.AsSpan(_rowCount * _dimension, _dimension));
        _rowClass[_rowCount] = c;
        _rowCount++;
        if (!OpenSet.ReservedLabels.IsBackground(label)) // background rows stay out of the centre (PrototypeMemory says why)
        {
            _sumCount++;
            for (int j = 0; j < _dimension; j++)
                _sum[j] += embedding[j];
        }
        _preparedValid = false;
    }

    /// <inheritdoc/>
    public Prediction Predict(ReadOnlySpan<float> embedding)
    {
        VectorKernels.EnsureValidEmbedding(embedding, _dimension);
        int classes = _labels.Count;
        if (_rowCount == 0)
            return new Prediction(-1, string.Empty, 0f, 0f, 0f, 0f);
        EnsurePrepared();
        Span<float> q = _query;
        TensorPrimitives.Subtract(embedding, _centre, q);
        Span<float> sims = _similarities.AsSpan(0, _rowCount);
        ReadOnlySpan<float> rows = _prepared.AsSpan(0, _rowCount * _dimension);
        if (_options.Metric == SimilarityMetric.Cosine)
        {
            VectorKernels.NormalizeInPlace(q);
            RowSearch.Dot(rows, _dimension, q, sims);
        }
        else
        {
            VectorKernels.NegativeSquaredL2Rows(rows, _dimension, q, sims);
        }

        Span<float> classScores = _classScores.AsSpan(0, classes);
        classScores.Fill(float.NegativeInfinity);
        for (int i = 0; i < _rowCount; i++)
            if (sims[i] > classScores[_rowClass[i]])
                classScores[_rowClass[i]] = sims[i];

        // The k most similar rows vote: one selection pass (ties: lower row first).
        int k = VectorKernels.TopK(sims, _top, _topValues);
        Span<int> votes = _votes.AsSpan(0, classes);
        votes.Clear();
        for (int r = 0; r < k; r++)
            votes[_rowClass[_top[r]]]++;
        int winner = _rowClass[_top[0]];
        for (int c = 0; c < classes; c++)
            if (votes[c] > votes[winner] || (votes[c] == votes[winner] && classScores[c] > classScores[winner]))
                winner = c;

        float runnerUp = float.NegativeInfinity;
        for (int c = 0; c < classes; c++)
            if (c != winner && classScores[c] > runnerUp)
                runnerUp = classScores[c];
        float margin = classes == 1 ? 0f : classScores[winner] - runnerUp;
        Span<float> p = _probabilities.AsSpan(0, classes);
        VectorKernels.Softmax(classScores, _options.Temperature, p);
        var prediction = new Prediction(winner, _labels[winner], classScores[winner], margin, p[winner], VectorKernels.Entropy(p));
        // Open set on the nearest example's cosine (this learner keeps no class means).
        return OpenSet.OpenSetGate.Apply(prediction, classScores[winner], _options.OpenSet);
    }

    /// <inheritdoc/>
    public Prediction Observe(ReadOnlySpan<float> embedding) => Predict(embedding);

    /// <inheritdoc/>
    public void Reset()
    {
        // Nothing is learned from unlabelled samples.
    }

    /// <inheritdoc/>
    public bool Forget(string label)
    {
        if (!_classIndex.TryGetValue(label, out int c))
            return false;
        int write = 0;
        for (int i = 0; i < _rowCount; i++)
        {
            if (_rowClass[i] == c)
                continue;
            if (write != i)
            {
                _rows.AsSpan(i * _dimension, _dimension).CopyTo(_rows.AsSpan(write * _dimension, _dimension));
                _rowClass[write] = _rowClass[i];
            }
            write++;
        }
        _rowCount = write;
        // Classes after c shift down by one.
        _labels.RemoveAt(c);
        _classIndex.Clear();
        for (int i = 0; i < _labels.Count; i++)
            _classIndex[_labels[i]] = i;
        for (int i = 0; i < _rowCount; i++)
            if (_rowClass[i] > c)
                _rowClass[i]--;
        // Exact recomputation of the labelled sum (taught classes only).
        Array.Clear(_sum);
        _sumCount = 0;
        for (int i = 0; i < _rowCount; i++)
        {
            if (OpenSet.ReservedLabels.IsBackground(_labels[_rowClass[i]]))
                continue;
            _sumCount++;
            ReadOnlySpan<float> row = _rows.AsSpan(i * _dimension, _dimension);
            for (int j = 0; j < _dimension; j++)
                _sum[j] += row[j];
        }
        _preparedValid = false;
        return true;
    }

    private void EnsurePrepared()
    {
        if (_preparedValid)
            return;
        for (int j = 0; j < _dimension; j++)
            _centre[j] = _sumCount == 0 ? 0f : (float)(_sum[j] / _sumCount);
        for (int i = 0; i < _rowCount; i++)
        {
            Span<float> row = _prepared.AsSpan(i * _dimension, _dimension);
            TensorPrimitives.Subtract(_rows.AsSpan(i * _dimension, _dimension), _centre, row);
            if (_options.Metric == SimilarityMetric.Cosine)
                VectorKernels.NormalizeInPlace(row);
        }
        if (_classScores.Length < _labels.Count)
        {
            _classScores = new float[_labels.Count];
            _probabilities = new float[_labels.Count];
            _votes = new int[_labels.Count];
        }
        _preparedValid = true;
    }

    private void EnsureCapacity(int rows)
    {
        if (_rowClass.Length >= rows)
            return;
        int capacity = Math.Max(16, _rowClass.Length * 2);
        Array.Resize(ref _rows, capacity * _dimension);
        Array.Resize(ref _prepared, capacity * _dimension);
        Array.Resize(ref _rowClass, capacity);
        Array.Resize(ref _similarities, capacity);
    }
}
