using System.Globalization;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Learning.Adaptation;

/// <summary>
/// AdaNPC (Zhang et al., ICML 2023) with a bounded memory: a cosine kNN over labelled and confident test embeddings
/// (<c>adanpc</c>, and <c>adanpc-test-centred</c> on test-centred features).
/// </summary>
/// <remarks>
/// <para>Prediction (algorithms.md §1.2): the k most similar rows vote with weights softmax(sim/τ); a class's score
/// is its share of the vote. Rows are centred and L2-normalised: labelled rows by the prototype centre, test rows by
/// the query centre at the time they were inserted.</para>
/// <para>Unlike upstream, which appends every test sample forever and collapses under noise on our data
/// (feasibility.md §4, "noise-cluster attraction"), the memory holds at most <c>budget</c> rows (labelled seed
/// included); test rows have per-class quotas (budget − seed)/C; a test sample joins only when its vote share is
/// at least <c>confidence</c>, the prototype head in the same space agrees and that head's entropy is at most
/// <c>entropy-gate</c>·ln C (algorithms.md §1.7). A full class evicts its test row with the highest RoTTA CSTU
/// score sigmoid(age/N) + H/ln C, and only when that is worse than the newcomer (§3.6). Labelled rows are never
/// evicted; <see cref="Reset"/> truncates to them, as upstream's reset does.</para>
/// <para>Cost per query: (rows)·d for the similarities plus top-k selection; no allocation after the memory reached
/// its size. Not thread-safe.</para>
/// </remarks>
public sealed class AdaNpcLearner : IStreamLearner
{
    /// <summary>Registry name of the variant on static CL2N features.</summary>
    public const string MethodName = "adanpc";

    /// <summary>Registry name of the variant on test-centred features.</summary>
    public const string TestCentredName = "adanpc-test-centred";

    /// <summary>Guard defaults.</summary>
    public static GuardOptions DefaultGuard { get; } = new() { Window = 30, MaxDisagreement = 0.25, CollapseFactor = 3, Action = GuardAction.Fallback };

    /// <summary>Largest memory, in floats (rows × dimension), accepted: 256 MB.</summary>
    public const long MaxFloats = 64L * 1024 * 1024;

    private readonly FeatureCentring _centring;
    private readonly HealthMonitor _health;
    private readonly int _dimension;
    private readonly int _neighbours;
    private readonly float _tau;
    private readonly int _budget;
    private readonly float _confidence;
    private readonly float _entropyGate;
    private readonly float _headWeight;
    private readonly float[] _query;
    private readonly int[] _top;
    private readonly float[] _topValues;

    private float[] _seedRows = [];
    private float[] _seedPrepared = [];
    private int[] _seedClass = [];
    private int _seedCount;
    private long _seedVersion = -1;

    private float[] _testRows = [];
    private int[] _testClass = [];
    private long[] _testStep = [];
    private float[] _testEntropy = [];
    private int _testCount;
    private int[] _perClass = new int[16];

    private float[] _similarities = [];
    private float[] _scores = new float[16];
    private float[] _probabilities = new float[16];
    private float[] _headScores = new float[16];
    private float[] _headProbabilities = new float[16];
    private long _step;
    private bool _fallback;

    /// <summary>Creates an empty learner.</summary>
    /// <param name="space">The embedding space.</param>
    /// <param name="options">Shared settings and <c>&lt;name&gt;.*</c> parameters.</param>
    /// <param name="testCentre">Test-stream centring to compose with, or null for static CL2N.</param>
    /// <param name="name">Registry name under which the parameters are read.</param>
    /// <exception cref="ArgumentException">Bad options or parameters (τ ≤ 0, budget out of range).</exception>
    public AdaNpcLearner(EmbeddingSpace space, LearnerOptions? options = null, TestCentringOptions? testCentre = null, string name = MethodName)
    {
        ArgumentNullException.ThrowIfNull(space);
        space.Validate();
        options ??= LearnerOptions.Default;
        Name = name;
        _dimension = space.Dimension;
        _neighbours = options.GetInt(name + ".k", 10, 1, 1000);
        _tau = (float)options.GetDouble(name + ".tau", 0.1, 1e-4, 100);
        _budget = options.GetInt(name + ".budget", 1024, 1, 10_000_000);
        if ((long)_budget * _dimension > MaxFloats)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Parameter {name}.budget={_budget} rows × {_dimension} floats exceeds {MaxFloats * 4 / (1024 * 1024)} MB; use a smaller budget."));
        _confidence = (float)options.GetDouble(name + ".confidence", 0.8, 0, 1);
        _entropyGate = (float)options.GetDouble(name + ".entropy-gate", 0.5, 0, 1);
        _headWeight = (float)options.GetDouble(name + ".head-weight", 0.5, 0, 1);
        _health = new HealthMonitor(GuardOptions.From(options, name, DefaultGuard));
        _centring = new FeatureCentring(space, options, testCentre?.CreateCentre(_dimension), testCentre?.Align ?? false);
        _query = new float[_dimension];
        _top = new int[_neighbours];
        _topValues = new float[_neighbours];
        Space = space;
    }

    /// <summary>Describes the parameters of <paramref name="name"/>.</summary>
    public static Dictionary<string, string> Parameters(string name, bool testCentred)
    {
        var p = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [name + ".k"] = "neighbours that vote (default 10)",
            [name + ".tau"] = "vote temperature, softmax(sim/tau), > 0 (default 0.1)",
            [name + ".budget"] = "rows kept in total, labelled seed included (default 1024)",
            [name + ".confidence"] = "smallest vote share for a test sample to join (default 0.8)",
            [name + ".entropy-gate"] = "largest prototype-head entropy, as a fraction of ln C, to join (default 0.5)",
            [name + ".head-weight"] = "weight of the prototype head's softmax mixed into the kNN vote; 0 = pure kNN (default 0.5)",
        };
        GuardOptions.Describe(name, DefaultGuard, p);
        if (testCentred)
            TestCentringOptions.Describe(name, p);
        return p;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public EmbeddingSpace Space { get; }

    /// <inheritdoc/>
    public int ClassCount => _centring.ClassCount;

    /// <summary>Labelled rows.</summary>
    public int SeedCount => _seedCount;

    /// <summary>Test-derived rows.</summary>
    public int TestCount => _testCount;

    /// <summary>Total rows allowed.</summary>
    public int Budget => _budget;

    /// <summary>The health signals.</summary>
    public HealthMonitor Health => _health;

    /// <summary>Test-derived rows of class <paramref name="classIndex"/>.</summary>
    public int TestCountOf(int classIndex) => classIndex >= 0 && classIndex < ClassCount ? _perClass[classIndex] : 0;

    /// <summary>Bytes held by rows and their bookkeeping (capacity, not only the used part).</summary>
    public long MemoryBytes => 4L * (_seedRows.Length + _seedPrepared.Length + _testRows.Length + _similarities.Length)
        + 4L * (_seedClass.Length + _testClass.Length + _testEntropy.Length) + 8L * _testStep.Length;

    /// <inheritdoc/>
    public void Learn(string label, ReadOnlySpan<float> embedding)
    {
        VectorKernels.EnsureValidEmbedding(embedding, _dimension);
        if (_seedCount >= _budget)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The AdaNPC memory holds {_seedCount} labelled rows, its whole budget ({Name}.budget = {_budget}); raise the budget or forget a class."));
        _centring.Learn(label, embedding);
        int c = _centring.Static.IndexOf(label);
        if (_seedCount == _seedClass.Length)
        {
            int capacity = Math.Min(_budget, Math.Max(16, _seedCount * 2));
            Array.Resize(ref _seedRows, capacity * _dimension);
            Array.Resize(ref _seedPrepared, capacity * _dimension);
            Array.Resize(ref _seedClass, capacity);
        }
        embedding.CopyTo(_seedRows.AsSpan(_seedCount * _dimension, _dimension));
        _seedClass[_seedCount++] = c;
        if (_perClass.Length < ClassCount)
            Array.Resize(ref _perClass, ClassCount * 2);
        if (_scores.Length < ClassCount)
        {
            _scores = new float[ClassCount * 2];
            _probabilities = new float[ClassCount * 2];
            _headScores = new float[ClassCount * 2];
            _headProbabilities = new float[ClassCount * 2];
        }
        // More labelled rows leave less room for test rows.
        while (_testCount > 0 && _seedCount + _testCount > _budget)
            RemoveTestRow(Victim(-1));
        EnsureSimilarityCapacity();
    }

    /// <inheritdoc/>
    public Prediction Predict(ReadOnlySpan<float> embedding)
    {
        VectorKernels.EnsureValidEmbedding(embedding, _dimension);
        if (ClassCount == 0)
            return _centring.Static.Predict(embedding);
        if (_fallback)
            return HeadPredict(embedding);
        _centring.PrepareQuery(embedding, _query);
        return Vote();
    }

    /// <inheritdoc/>
    public Prediction Observe(ReadOnlySpan<float> embedding)
    {
        Prediction prediction = Predict(embedding);
        if (ClassCount == 0)
            return prediction;
        if (_fallback)
        {
            _centring.Observe(embedding);
            return prediction;
        }
        _step++;
        // The prototype head in the same (possibly test-centred) space: the agreement check and the guard's reference.
        _centring.Scores(_query, _scores);
        Prediction head = _centring.Decide(_scores, _probabilities, _centring.Temperature);
        bool warm = _centring.TestCentre is null || _centring.TestCentre.IsWarm;
        if (warm && ClassCount > 1 && prediction.Confidence >= _confidence && head.ClassIndex == prediction.ClassIndex
            && head.Entropy <= _entropyGate * MathF.Log(ClassCount))
            Insert(prediction.ClassIndex, head.Entropy / MathF.Log(ClassCount));
        _centring.Observe(embedding);
        if (_health.Record(prediction.ClassIndex, ClassCount, prediction.Entropy, head.ClassIndex != prediction.ClassIndex))
        {
            // The test rows go; the test centre (its own signal) stays.
            _testCount = 0;
            Array.Clear(_perClass);
            _fallback = _health.Options.Action == GuardAction.Fallback;
        }
        return prediction;
    }

    /// <inheritdoc/>
    public void Reset()
    {
        DropAdaptation();
        _health.Reset();
        _fallback = false;
    }

    /// <inheritdoc/>
    public bool Forget(string label)
    {
        int c = _centring.Static.IndexOf(label);
        if (c < 0)
            return false;
        int last = ClassCount - 1;
        _centring.Forget(label); // swap-remove: class 'last' becomes 'c'
        int write = 0;
        for (int i = 0; i < _seedCount; i++)
        {
            if (_seedClass[i] == c)
                continue;
            _seedRows.AsSpan(i * _dimension, _dimension).CopyTo(_seedRows.AsSpan(write * _dimension, _dimension));
            _seedClass[write++] = _seedClass[i] == last ? c : _seedClass[i];
        }
        _seedCount = write;
        for (int i = _testCount - 1; i >= 0; i--)
            if (_testClass[i] == c)
                RemoveTestRow(i);
        for (int i = 0; i < _testCount; i++)
            if (_testClass[i] == last)
                _testClass[i] = c;
        _perClass[c] = _perClass[last];
        _perClass[last] = 0;
        _seedVersion = -1;
        return true;
    }

    private void DropAdaptation()
    {
        _testCount = 0;
        Array.Clear(_perClass);
        _centring.Reset();
    }

    private Prediction Vote()
    {
        EnsureSeedPrepared();
        int rows = _seedCount + _testCount;
        Span<float> sims = _similarities.AsSpan(0, rows);
        VectorKernels.DotRows(_seedPrepared.AsSpan(0, _seedCount * _dimension), _dimension, _query, sims[.._seedCount]);
        VectorKernels.DotRows(_testRows.AsSpan(0, _testCount * _dimension), _dimension, _query, sims[_seedCount..]);
        int k = VectorKernels.TopK(sims, _top, _topValues);
        // w = softmax(sim/τ) over the k neighbours (algorithms.md §1.2).
        Span<float> weights = _topValues.AsSpan(0, k);
        VectorKernels.Softmax(weights, _tau, weights);
        int classes = ClassCount;
        Span<float> scores = _scores.AsSpan(0, classes);
        scores.Clear();
        for (int i = 0; i < k; i++)
        {
            int row = _top[i];
            int c = row < _seedCount ? _seedClass[row] : _testClass[row - _seedCount];
            scores[c] += weights[i];
        }
        if (_headWeight > 0f)
        {
            // Mixture with the prototype head in the same space: a few shots make a noisy kNN (feasibility.md §4: 1-NN is
            // 2 points below NCM at 5 shots), and the head anchors the vote against noise-cluster attraction.
            _centring.Scores(_query, _headScores);
            Span<float> head = _headProbabilities.AsSpan(0, classes);
            VectorKernels.Softmax(_headScores.AsSpan(0, classes), _centring.Temperature, head);
            for (int c = 0; c < classes; c++)
                scores[c] = (1f - _headWeight) * scores[c] + _headWeight * head[c];
        }
        int best = 0, second = -1;
        for (int i = 1; i < classes; i++)
        {
            if (scores[i] > scores[best]) { second = best; best = i; }
            else if (second < 0 || scores[i] > scores[second]) second = i;
        }
        float entropy = VectorKernels.Entropy(scores);
        float margin = second < 0 ? 0f : scores[best] - scores[second];
        return new Prediction(best, _centring.Static.LabelAt(best), scores[best], margin, scores[best], entropy);
    }

    private void Insert(int c, float normalisedEntropy)
    {
        int testCapacity = _budget - _seedCount;
        if (testCapacity <= 0)
            return;
        int quota = Math.Max(1, testCapacity / ClassCount);
        int slot;
        float newScore = Score(0, normalisedEntropy);
        if (_perClass[c] < quota && _testCount < testCapacity)
        {
            EnsureTestCapacity(_testCount + 1, testCapacity);
            slot = _testCount++;
            _perClass[c]++;
        }
        else
        {
            int victim = Victim(_perClass[c] >= quota ? c : -1);
            if (victim < 0 || RowScore(victim) <= newScore)
                return;
            _perClass[_testClass[victim]]--;
            _perClass[c]++;
            slot = victim;
        }
        _query.AsSpan().CopyTo(_testRows.AsSpan(slot * _dimension, _dimension));
        _testClass[slot] = c;
        _testStep[slot] = _step;
        _testEntropy[slot] = normalisedEntropy;
    }

    /// <summary>The test row with the highest CSTU score in class <paramref name="c"/>, or in the class with most test rows when c &lt; 0.</summary>
    private int Victim(int c)
    {
        if (c < 0)
        {
            for (int i = 0; i < ClassCount; i++)
                if (c < 0 || _perClass[i] > _perClass[c])
                    c = i;
        }
        int victim = -1;
        float worst = float.NegativeInfinity;
        for (int i = 0; i < _testCount; i++)
        {
            if (_testClass[i] != c)
                continue;
            float s = RowScore(i);
            if (s > worst)
            {
                worst = s;
                victim = i;
            }
        }
        return victim;
    }

    private float RowScore(int i) => Score(_step - _testStep[i], _testEntropy[i]);

    private float Score(long age, float normalisedEntropy)
    {
        // RoTTA CSTU (algorithms.md §3.6): λ_t·sigmoid(age/N) + λ_u·H/ln C with λ_t = λ_u = 1.
        float n = Math.Max(1, _budget - _seedCount);
        return 1f / (1f + MathF.Exp(-age / n)) + normalisedEntropy;
    }

    private void RemoveTestRow(int i)
    {
        int last = _testCount - 1;
        _perClass[_testClass[i]]--;
        if (i != last)
        {
            _testRows.AsSpan(last * _dimension, _dimension).CopyTo(_testRows.AsSpan(i * _dimension, _dimension));
            _testClass[i] = _testClass[last];
            _testStep[i] = _testStep[last];
            _testEntropy[i] = _testEntropy[last];
        }
        _testCount--;
    }

    private void EnsureTestCapacity(int rows, int limit)
    {
        if (_testClass.Length >= rows)
            return;
        int capacity = Math.Min(limit, Math.Max(64, _testClass.Length * 2));
        Array.Resize(ref _testRows, capacity * _dimension);
        Array.Resize(ref _testClass, capacity);
        Array.Resize(ref _testStep, capacity);
        Array.Resize(ref _testEntropy, capacity);
        EnsureSimilarityCapacity();
    }

    private void EnsureSimilarityCapacity()
    {
        int need = _seedClass.Length + _testClass.Length;
        if (_similarities.Length < need)
            _similarities = new float[need];
    }

    private void EnsureSeedPrepared()
    {
        if (_seedVersion == _centring.Version)
            return;
        for (int i = 0; i < _seedCount; i++)
            _centring.PrepareLabelledRow(_seedRows.AsSpan(i * _dimension, _dimension), _seedPrepared.AsSpan(i * _dimension, _dimension));
        _seedVersion = _centring.Version;
    }

    /// <summary>The prototype head in the same (possibly test-centred) space: the fallback after a guard trip.</summary>
    private Prediction HeadPredict(ReadOnlySpan<float> embedding)
    {
        _centring.PrepareQuery(embedding, _query);
        _centring.Scores(_query, _scores);
        return _centring.Decide(_scores, _probabilities, _centring.Temperature);
    }
}
