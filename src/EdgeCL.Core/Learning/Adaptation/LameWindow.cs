using System.Globalization;
using System.Numerics.Tensors;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Learning.Adaptation;

/// <summary>
/// LAME's Laplacian-regularised output correction (Boudiaf et al., CVPR 2022; algorithms.md §3.7) over a bounded
/// ring of the most recent samples, so it runs on a batch-1 stream.
/// </summary>
/// <remarks>
/// <para>Each row holds a prepared (centred, L2-normalised) query, its unary class logits u = s/τ (the head's
/// scores at its temperature: log p up to a constant) and its current assignment Y. After an insertion the k
/// nearest neighbours of every row within the window (cosine, self excluded) are recomputed with LAME's rbf
/// weights w_ij = exp(−‖f_i − f_j‖²/2σ²) (σ: the mean distance to the k-th neighbour), kept only where the two rows
/// are each other's neighbours (mutual kNN, <see cref="Mutual"/>), and the fixed point
/// Y_i = softmax(u_i + λ Σ_{j∈N(i)} w_ij Y_j) is iterated. A query outside
/// the window is corrected with the window's assignments held fixed (<see cref="Correct"/>), which is pure.</para>
/// <para>Why it helps with label-correlated order: neighbours inside a short window of a correlated stream are
/// mostly of the same class, and the Laplacian term makes their labels agree; on an i.i.d. stream the window holds
/// few of each class and λ must stay small (the failure mode in algorithms.md §3.7).</para>
/// <para>Why mutual: at a run boundary of a correlated stream the first samples of a new class find their k nearest
/// neighbours in the previous class's run (there is nothing else in the window), so plain kNN votes them into that
/// class, and the wrong assignment then spreads through the new run (whole runs of "three" read as "green" on a
/// keyword stream). A sample of the old run has its own class closer, so the edge is not mutual and carries no vote.
/// Measured in docs/adaptation-across-shifts.md.</para>
/// <para>Memory: W·(d + W + 2C + 2k) values, allocated when the window is built or the class count grows; nothing
/// per sample. Cost per insertion: W·d + W²·k + iterations·W·k·C. Not thread-safe.</para>
/// </remarks>
public sealed class LameWindow
{
    private readonly int _dimension;
    private readonly float[] _rows;
    private readonly float[] _affinity;
    private readonly int[] _neighbours;
    private readonly float[] _weights;
    private readonly float[] _kthSimilarity;
    private float _twoSigmaSquared = 1f;
    private readonly float[] _scratch;
    private readonly float[] _topValues;
    private readonly int[] _topIndices;
    private float[] _unary = [];
    private float[] _assign = [];
    private float[] _logits = [];
    private int _classes;
    private int _next;
    private float _lambda;

    /// <summary>Creates an empty window.</summary>
    /// <param name="dimension">Embedding length.</param>
    /// <param name="capacity">W: rows kept, 2..4096.</param>
    /// <param name="neighbours">k: neighbours per row, 1..W−1.</param>
    /// <param name="lambda">λ: weight of the Laplacian term, 0..100.</param>
    /// <param name="iterations">Fixed-point iterations per insertion, 1..100.</param>
    /// <param name="mutual">Keep only mutual kNN edges (true) or every kNN edge, LAME's original graph (false).</param>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public LameWindow(int dimension, int capacity = 64, int neighbours = 5, float lambda = 1f, int iterations = 10, bool mutual = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (capacity is < 2 or > 4096)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The LAME window must hold 2..4096 samples (got {capacity})."));
        if (neighbours < 1 || neighbours >= capacity)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"LAME's k must be in 1..window−1 (got {neighbours})."));
        if (!(lambda >= 0f && lambda <= 100f))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"LAME's λ must be in 0..100 (got {lambda})."));
        if (iterations is < 1 or > 100)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"LAME's iterations must be in 1..100 (got {iterations})."));
        _dimension = dimension;
        Capacity = capacity;
        Neighbours = neighbours;
        _lambda = lambda;
        Iterations = iterations;
        Mutual = mutual;
        _rows = new float[capacity * dimension];
        _affinity = new float[capacity * capacity];
        _neighbours = new int[capacity * neighbours];
        _weights = new float[capacity * neighbours];
        _kthSimilarity = new float[capacity];
        _scratch = new float[capacity];
        _topValues = new float[neighbours];
        _topIndices = new int[neighbours];
    }

    /// <summary>W.</summary>
    public int Capacity { get; }

    /// <summary>k.</summary>
    public int Neighbours { get; }

    /// <summary>λ (settable: a learner may scale it by how label-correlated the stream looks).</summary>
    public float Lambda
    {
        get => _lambda;
        set
        {
            if (!(value >= 0f && value <= 100f))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"LAME's λ must be in 0..100 (got {value})."));
            _lambda = value;
        }
    }

    /// <summary>Iterations per insertion.</summary>
    public int Iterations { get; }

    /// <summary>Whether only mutual kNN edges vote.</summary>
    public bool Mutual { get; }

    /// <summary>Rows held (≤ <see cref="Capacity"/>).</summary>
    public int Count { get; private set; }

    /// <summary>Classes of the rows held (set by <see cref="Prepare"/>).</summary>
    public int ClassCount => _classes;

    /// <summary>Sets the class count; a change empties the window (its logits are of the old classes).</summary>
    public void Prepare(int classes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(classes);
        if (classes == _classes)
            return;
        if (_unary.Length < Capacity * classes)
        {
            _unary = new float[Capacity * Math.Max(classes, 16)];
            _assign = new float[Capacity * Math.Max(classes, 16)];
            _logits = new float[Math.Max(classes, 16)];
        }
        _classes = classes;
        Clear();
    }

    /// <summary>Empties the window.</summary>
    public void Clear()
    {
        Count = 0;
        _next = 0;
    }

    /// <summary>Adds a prepared query with its unary logits (u = s/τ) and re-solves the window.</summary>
    public void Add(ReadOnlySpan<float> query, ReadOnlySpan<float> unary)
    {
        int c = _classes;
        if (c == 0)
            return;
        int slot = _next;
        _next = (_next + 1) % Capacity;
        Count = Math.Min(Count + 1, Capacity);
        query.CopyTo(_rows.AsSpan(slot * _dimension, _dimension));
        unary[..c].CopyTo(_unary.AsSpan(slot * c, c));
        Span<float> y = _assign.AsSpan(slot * c, c);
        VectorKernels.Softmax(unary[..c], 1f, y);
        for (int j = 0; j < Count; j++)
        {
            float a = j == slot ? float.NegativeInfinity : TensorPrimitives.Dot(query, Row(j));
            _affinity[slot * Capacity + j] = a;
            _affinity[j * Capacity + slot] = a;
        }
        int k = Math.Min(Neighbours, Count - 1);
        if (k < 1 || Lambda == 0f)
            return;
        // LAME's rbf affinity on the kNN graph: w = exp(−‖a − b‖² / 2σ²), σ² the mean squared distance to the k-th
        // neighbour, so a "neighbour" from another cluster (e.g. the previous class's run) barely votes.
        double kthSquared = 0;
        for (int i = 0; i < Count; i++)
        {
            VectorKernels.TopK(_affinity.AsSpan(i * Capacity, Count), _topIndices.AsSpan(0, k), _topValues.AsSpan(0, k));
            _topIndices.AsSpan(0, k).CopyTo(_neighbours.AsSpan(i * Neighbours, k));
            for (int n = 0; n < k; n++)
                _weights[i * Neighbours + n] = 2f - 2f * _topValues[n]; // squared distance of unit vectors
            kthSquared += _weights[i * Neighbours + k - 1];
            _kthSimilarity[i] = _topValues[k - 1];
        }
        _twoSigmaSquared = (float)Math.Max(2 * kthSquared / Count, 1e-6);
        for (int i = 0; i < Count; i++)
            for (int n = 0; n < k; n++)
            {
                int j = _neighbours[i * Neighbours + n];
                // i is among j's k nearest iff it is at least as similar to j as j's k-th neighbour.
                bool kept = !Mutual || _affinity[i * Capacity + j] >= _kthSimilarity[j];
                _weights[i * Neighbours + n] = kept ? MathF.Exp(-_weights[i * Neighbours + n] / _twoSigmaSquared) : 0f;
            }
        Span<float> logits = _logits.AsSpan(0, c);
        for (int iteration = 0; iteration < Iterations; iteration++)
        {
            // Gauss-Seidel sweeps: each row sees its neighbours' latest assignments.
            for (int i = 0; i < Count; i++)
            {
                _unary.AsSpan(i * c, c).CopyTo(logits);
                for (int n = 0; n < k; n++)
                    TensorPrimitives.MultiplyAdd(_assign.AsSpan(_neighbours[i * Neighbours + n] * c, c), Lambda * _weights[i * Neighbours + n], logits, logits);
                VectorKernels.Softmax(logits, 1f, _assign.AsSpan(i * c, c));
            }
        }
    }

    /// <summary>
    /// Writes the Laplacian term λ Σ_{j∈N(q)} w_qj Y_j of a prepared query against the window (assignments held fixed)
    /// into <paramref name="term"/> (length ≥ C); zeros when the window is empty. Pure (uses scratch only).
    /// </summary>
    public void Correct(ReadOnlySpan<float> query, Span<float> term)
    {
        int c = _classes;
        term[..c].Clear();
        if (Count == 0 || Lambda == 0f || c == 0)
            return;
        Span<float> similarity = _scratch.AsSpan(0, Count);
        for (int j = 0; j < Count; j++)
            similarity[j] = TensorPrimitives.Dot(query, Row(j));
        int k = Math.Min(Neighbours, Count);
        VectorKernels.TopK(similarity, _topIndices.AsSpan(0, k), _topValues.AsSpan(0, k));
        // With fewer than k other rows every row would take the query among its k nearest.
        bool rowsHaveFullLists = Count - 1 >= k;
        for (int n = 0; n < k; n++)
        {
            if (Mutual && rowsHaveFullLists && _topValues[n] < _kthSimilarity[_topIndices[n]])
                continue;
            float weight = MathF.Exp(-(2f - 2f * _topValues[n]) / _twoSigmaSquared);
            TensorPrimitives.MultiplyAdd(_assign.AsSpan(_topIndices[n] * c, c), Lambda * weight, term[..c], term[..c]);
        }
    }

    /// <summary>The current assignment Y of row <paramref name="row"/> (for tests and diagnostics).</summary>
    public ReadOnlySpan<float> Assignment(int row) => _assign.AsSpan(row * _classes, _classes);

    private ReadOnlySpan<float> Row(int j) => _rows.AsSpan(j * _dimension, _dimension);
}
