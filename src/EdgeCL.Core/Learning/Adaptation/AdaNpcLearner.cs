using System.Globalization;
using EdgeCL.Core.Errors;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Serialization;
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
/// its size. The checkpoint holds the test rows (with their class labels, ages and entropies), the step counter
/// and the test centre; restored rows beyond the budget or a class quota are evicted as usual. Not thread-safe.</para>
/// </remarks>
public sealed class AdaNpcLearner : FeatureAdaptationLearner
{
    /// <summary>Registry name of the variant on static CL2N features.</summary>
    public const string MethodName = "adanpc";

    /// <summary>Registry name of the variant on test-centred features.</summary>
    public const string TestCentredName = "adanpc-test-centred";

    /// <summary>Guard defaults (<see cref="FeatureAdaptationLearner.StrictGuard"/>).</summary>
    public static GuardOptions DefaultGuard => StrictGuard;

    /// <summary>Largest memory, in floats (rows × dimension), accepted: 256 MB.</summary>
    public const long MaxFloats = 64L * 1024 * 1024;

    private const int DefaultNeighbours = 10;
    private const double DefaultTau = 0.1;
    private const int DefaultBudget = 1024;
    private const double DefaultConfidence = 0.9;
    private const double DefaultEntropyGate = 0.5;
    private const double DefaultHeadWeight = 0.7;

    private readonly int _dimension;
    private readonly int _neighbours;
    private readonly float _tau;
    private readonly int _budget;
    private readonly float _confidence;
    private readonly float _entropyGate;
    private readonly float _headWeight;
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
    private float[] _headScores = new float[16];
    private float[] _headProbabilities = new float[16];
    private long _step;

    /// <summary>Creates an empty learner.</summary>
    /// <param name="space">The embedding space.</param>
    /// <param name="options">Shared settings and <c>&lt;name&gt;.*</c> parameters.</param>
    /// <param name="testCentre">Test-stream centring to compose with, or null for static CL2N.</param>
    /// <param name="name">Registry name under which the parameters are read.</param>
    /// <exception cref="ArgumentException">Bad options or parameters (τ ≤ 0, budget out of range).</exception>
    public AdaNpcLearner(EmbeddingSpace space, LearnerOptions? options = null, TestCentringOptions? testCentre = null, string name = MethodName)
        : base(space, options, name, testCentre, DefaultGuard)
    {
        _dimension = space.Dimension;
        _neighbours = Options.GetInt(name + ".k", DefaultNeighbours, 1, 1000);
        _tau = (float)Options.GetDouble(name + ".tau", DefaultTau, 1e-4, 100);
        _budget = Options.GetInt(name + ".budget", DefaultBudget, 1, 10_000_000);
        if ((long)_budget * _dimension > MaxFloats)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Parameter {name}.budget={_budget} rows × {_dimension} floats exceeds {MaxFloats * 4 / (1024 * 1024)} MB; use a smaller budget."));
        _confidence = (float)Options.GetDouble(name + ".confidence", DefaultConfidence, 0, 1);
        _entropyGate = (float)Options.GetDouble(name + ".entropy-gate", DefaultEntropyGate, 0, 1);
        _headWeight = (float)Options.GetDouble(name + ".head-weight", DefaultHeadWeight, 0, 1);
        _top = new int[_neighbours];
        _topValues = new float[_neighbours];
    }

    /// <summary>Describes the parameters of <paramref name="name"/>.</summary>
    public static Dictionary<string, string> Parameters(string name, bool testCentred)
    {
        var c = CultureInfo.InvariantCulture;
        return Describe(name, DefaultGuard, testCentred, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [name + ".k"] = string.Create(c, $"neighbours that vote (default {DefaultNeighbours})"),
            [name + ".tau"] = string.Create(c, $"vote temperature, softmax(sim/tau), > 0 (default {DefaultTau})"),
            [name + ".budget"] = string.Create(c, $"rows kept in total, labelled seed included (default {DefaultBudget})"),
            [name + ".confidence"] = string.Create(c, $"smallest vote share for a test sample to join (default {DefaultConfidence})"),
            [name + ".entropy-gate"] = string.Create(c, $"largest prototype-head entropy, as a fraction of ln C, to join (default {DefaultEntropyGate})"),
            [name + ".head-weight"] = string.Create(c, $"weight of the prototype head's softmax mixed into the kNN vote; 0 = pure kNN (default {DefaultHeadWeight})"),
        });
    }

    /// <summary>Labelled rows.</summary>
    public int SeedCount => _seedCount;

    /// <summary>Test-derived rows.</summary>
    public int TestCount => _testCount;

    /// <summary>Total rows allowed.</summary>
    public int Budget => _budget;

    /// <summary>Test-derived rows of class <paramref name="classIndex"/>.</summary>
    public int TestCountOf(int classIndex) => classIndex >= 0 && classIndex < ClassCount ? _perClass[classIndex] : 0;

    /// <summary>Bytes held by rows and their bookkeeping (capacity, not only the used part).</summary>
    public long MemoryBytes => 4L * (_seedRows.Length + _seedPrepared.Length + _testRows.Length + _similarities.Length)
        + 4L * (_seedClass.Length + _testClass.Length + _testEntropy.Length) + 8L * _testStep.Length;

    /// <inheritdoc/>
    public override void Learn(string label, ReadOnlySpan<float> embedding)
    {
        VectorKernels.EnsureValidEmbedding(embedding, _dimension);
        if (_seedCount >= _budget)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The AdaNPC memory holds {_seedCount} labelled rows, its whole budget ({Name}.budget = {_budget}); raise the budget or forget a class."));
        base.Learn(label, embedding);
        int c = Centring.Static.IndexOf(label);
        if (_seedCount == _seedClass.Length)
        {
            int capacity = Math.Min(_budget, Math.Max(16, _seedCount * 2));
            Array.Resize(ref _seedRows, capacity * _dimension);
            Array.Resize(ref _seedPrepared, capacity * _dimension);
            Array.Resize(ref _seedClass, capacity);
        }
        embedding.CopyTo(_seedRows.AsSpan(_seedCount * _dimension, _dimension));
        _seedClass[_seedCount++] = c;
        // More labelled rows leave less room for test rows.
        TrimToBudget();
        EnsureSimilarityCapacity();
    }

    /// <inheritdoc/>
    public override bool Forget(string label)
    {
        int c = Centring.Static.IndexOf(label);
        if (c < 0)
            return false;
        int last = ClassCount - 1;
        Centring.Forget(label); // swap-remove: class 'last' becomes 'c'
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

    /// <inheritdoc/>
    protected override void OnClassesChanged()
    {
        base.OnClassesChanged();
        if (_perClass.Length < ClassCount)
            Array.Resize(ref _perClass, ClassCount * 2);
        if (_headScores.Length < ClassCount)
        {
            _headScores = new float[ClassCount * 2];
            _headProbabilities = new float[ClassCount * 2];
        }
    }

    /// <inheritdoc/>
    protected override Prediction PredictAdapted(ReadOnlySpan<float> embedding)
    {
        Centring.PrepareQuery(embedding, Query);
        return Vote();
    }

    /// <inheritdoc/>
    protected override int Adapt(ReadOnlySpan<float> embedding, Prediction prediction)
    {
        _step++;
        // The prototype head in the same (possibly test-centred) space: the agreement check and the guard's reference.
        Prediction head = HeadOnQuery();
        if (CentreWarm && ClassCount > 1 && prediction.Confidence >= _confidence && head.ClassIndex == prediction.ClassIndex
            && head.Entropy <= _entropyGate * MathF.Log(ClassCount))
            Insert(prediction.ClassIndex, head.Entropy / MathF.Log(ClassCount));
        return head.ClassIndex;
    }

    /// <inheritdoc/>
    protected override void DropStreamState()
    {
        // The test rows go; the test centre (its own signal) stays.
        _testCount = 0;
        Array.Clear(_perClass);
    }

    /// <inheritdoc/>
    protected override void ClearAdaptation() => DropStreamState();

    /// <inheritdoc/>
    protected override void WritePayload(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(_step);
        writer.Write(_testCount);
        for (int i = 0; i < _testCount; i++)
        {
            writer.Write(_testClass[i]);
            writer.Write(_testStep[i]);
            writer.Write(_testEntropy[i]);
            WriteFloats(writer, _testRows.AsSpan(i * _dimension, _dimension));
        }
    }

    /// <inheritdoc/>
    protected override Action ReadPayload(ref SpanReader reader, int[] classMap)
    {
        long step = reader.I64();
        int count = ReadCount(ref reader, 16 + 4 * _dimension, 10_000_000);
        if (step < 0)
            throw new StateFormatException($"AdaNPC checkpoint has a negative step {step}; delete it and adapt again.");
        var classes = new List<int>(count);
        var steps = new List<long>(count);
        var entropies = new List<float>(count);
        var rows = new List<float[]>(count);
        for (int i = 0; i < count; i++)
        {
            int saved = reader.I32();
            long rowStep = reader.I64();
            float entropy = reader.F32();
            float[] row = ReadFloats(ref reader, _dimension);
            if (saved < 0 || saved >= classMap.Length || rowStep < 0 || rowStep > step || !(entropy >= 0f && entropy <= 1.0001f))
                throw new StateFormatException($"AdaNPC checkpoint row {i} is malformed (class {saved}, step {rowStep}, entropy {entropy}); delete it and adapt again.");
            if (classMap[saved] < 0)
                continue; // a class this learner no longer knows
            classes.Add(classMap[saved]);
            steps.Add(rowStep);
            entropies.Add(entropy);
            rows.Add(row);
        }
        return () =>
        {
            _testCount = 0;
            Array.Clear(_perClass);
            _step = step;
            if (_testClass.Length < rows.Count)
            {
                Array.Resize(ref _testRows, rows.Count * _dimension);
                Array.Resize(ref _testClass, rows.Count);
                Array.Resize(ref _testStep, rows.Count);
                Array.Resize(ref _testEntropy, rows.Count);
                EnsureSimilarityCapacity();
            }
            for (int i = 0; i < rows.Count; i++)
            {
                rows[i].CopyTo(_testRows.AsSpan(i * _dimension, _dimension));
                _testClass[i] = classes[i];
                _testStep[i] = steps[i];
                _testEntropy[i] = entropies[i];
                _perClass[classes[i]]++;
            }
            _testCount = rows.Count;
            TrimToBudget();
        };
    }

    /// <summary>Evicts test rows until the budget and every class quota hold.</summary>
    private void TrimToBudget()
    {
        int capacity = Math.Max(0, _budget - _seedCount);
        while (_testCount > 0 && _testCount > capacity)
            RemoveTestRow(Victim(-1));
        if (ClassCount == 0)
            return;
        int quota = Math.Max(1, capacity / ClassCount);
        for (int c = 0; c < ClassCount; c++)
            while (_perClass[c] > quota)
                RemoveTestRow(Victim(c));
    }

    private Prediction Vote()
    {
        EnsureSeedPrepared();
        int rows = _seedCount + _testCount;
        Span<float> sims = _similarities.AsSpan(0, rows);
        VectorKernels.DotRows(_seedPrepared.AsSpan(0, _seedCount * _dimension), _dimension, Query, sims[.._seedCount]);
        VectorKernels.DotRows(_testRows.AsSpan(0, _testCount * _dimension), _dimension, Query, sims[_seedCount..]);
        int k = VectorKernels.TopK(sims, _top, _topValues);
        // w = softmax(sim/τ) over the k neighbours (algorithms.md §1.2).
        Span<float> weights = _topValues.AsSpan(0, k);
        VectorKernels.Softmax(weights, _tau, weights);
        int classes = ClassCount;
        Span<float> scores = ScoreBuffer[..classes];
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
            Centring.Scores(Query, _headScores);
            Span<float> head = _headProbabilities.AsSpan(0, classes);
            VectorKernels.Softmax(_headScores.AsSpan(0, classes), Centring.Temperature, head);
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
        return new Prediction(best, Centring.Static.LabelAt(best), scores[best], margin, scores[best], entropy);
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
        Query.AsSpan().CopyTo(_testRows.AsSpan(slot * _dimension, _dimension));
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
        if (_seedVersion == Centring.Version)
            return;
        for (int i = 0; i < _seedCount; i++)
            Centring.PrepareLabelledRow(_seedRows.AsSpan(i * _dimension, _dimension), _seedPrepared.AsSpan(i * _dimension, _dimension));
        _seedVersion = Centring.Version;
    }
}
