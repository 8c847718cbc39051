using System.Globalization;
using System.Numerics.Tensors;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Learning.Adaptation;

/// <summary>
/// T3A, the test-time template adjuster (Iwasawa &amp; Matsuo, NeurIPS 2021): per-class supports of confident test
/// embeddings, filtered by entropy, summed into adjusted prototypes (<c>t3a</c>, <c>t3a-test-centred</c>).
/// </summary>
/// <remarks>
/// <para>algorithms.md §3.1. Each class's template is normalize(w·μ̂_c + Σ ŝ), where μ̂_c is the centred, normalised
/// labelled prototype (upstream seeds the supports with the classifier's weight rows), w is <c>seed-weight</c> and ŝ
/// are the normalised supports. A test sample joins the support set of its predicted class with the entropy of
/// that prediction; each class keeps its <c>filter</c> (M) lowest-entropy supports. M = −1 keeps all of them up to
/// <c>budget</c> rows in total: upstream's M = −1 path slices <c>[:-1]</c> and drops one support per class each
/// step, which is not copied. When the budget is full the largest class loses its highest-entropy support.</para>
/// <para>Additions to upstream (feasibility.md §4: naive online prototypes lose up to 4 points under noise): a
/// sample joins only when the labelled prototype head in the same space agrees (<c>agree</c>) and its entropy is
/// at most <c>entropy-gate</c>·ln C. Cost per query: C·d (class sums are kept incrementally). Not thread-safe.</para>
/// </remarks>
public sealed class T3aLearner : IStreamLearner
{
    /// <summary>Registry name on static CL2N features.</summary>
    public const string MethodName = "t3a";

    /// <summary>Registry name on test-centred features.</summary>
    public const string TestCentredName = "t3a-test-centred";

    /// <summary>Guard defaults.</summary>
    public static GuardOptions DefaultGuard { get; } = new() { Window = 30, MaxDisagreement = 0.25, CollapseFactor = 3, Action = GuardAction.Fallback };

    private readonly FeatureCentring _centring;
    private readonly HealthMonitor _health;
    private readonly int _dimension;
    private readonly int _filter;
    private readonly int _budget;
    private readonly float _seedWeight;
    private readonly float _entropyGate;
    private readonly bool _agree;
    private readonly float[] _query;
    private readonly float[] _template;
    private float[] _rows = [];
    private int[] _rowClass = [];
    private float[] _rowEntropy = [];
    private int _count;
    private int[] _perClass = new int[16];
    private float[] _sums = new float[0];
    private float[] _scores = new float[16];
    private float[] _probabilities = new float[16];
    private bool _fallback;

    /// <summary>Creates an empty learner.</summary>
    /// <exception cref="ArgumentException">Bad options or parameters.</exception>
    public T3aLearner(EmbeddingSpace space, LearnerOptions? options = null, TestCentringOptions? testCentre = null, string name = MethodName)
    {
        ArgumentNullException.ThrowIfNull(space);
        space.Validate();
        options ??= LearnerOptions.Default;
        Name = name;
        _dimension = space.Dimension;
        _filter = options.GetInt(name + ".filter", 20, -1, 100_000);
        if (_filter == 0)
            throw new ArgumentException($"Parameter {name}.filter must be -1 (keep all) or >= 1, got 0.");
        _budget = options.GetInt(name + ".budget", 1024, 1, 10_000_000);
        if ((long)_budget * _dimension > AdaNpcLearner.MaxFloats)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Parameter {name}.budget={_budget} rows × {_dimension} floats is too large; use a smaller budget."));
        _seedWeight = (float)options.GetDouble(name + ".seed-weight", 5, 0, 1e6);
        _entropyGate = (float)options.GetDouble(name + ".entropy-gate", 0.5, 0, 1);
        _agree = options.GetInt(name + ".agree", 1, 0, 1) == 1;
        _health = new HealthMonitor(GuardOptions.From(options, name, DefaultGuard));
        _centring = new FeatureCentring(space, options, testCentre?.CreateCentre(_dimension), testCentre?.Align ?? false);
        _query = new float[_dimension];
        _template = new float[_dimension];
        Space = space;
    }

    /// <summary>Describes the parameters of <paramref name="name"/>.</summary>
    public static Dictionary<string, string> Parameters(string name, bool testCentred)
    {
        var p = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [name + ".filter"] = "supports kept per class, lowest entropy first; -1 = all, up to the budget (default 20)",
            [name + ".budget"] = "supports kept in total (default 1024)",
            [name + ".seed-weight"] = "weight of the labelled prototype in each template (default 5)",
            [name + ".entropy-gate"] = "largest entropy, as a fraction of ln C, to join (default 0.5)",
            [name + ".agree"] = "1 = join only when the labelled prototype head agrees (default 1)",
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

    /// <summary>Supports held.</summary>
    public int SupportCount => _count;

    /// <summary>Supports of class <paramref name="classIndex"/>.</summary>
    public int SupportCountOf(int classIndex) => classIndex >= 0 && classIndex < ClassCount ? _perClass[classIndex] : 0;

    /// <summary>The health signals.</summary>
    public HealthMonitor Health => _health;

    /// <inheritdoc/>
    public void Learn(string label, ReadOnlySpan<float> embedding)
    {
        _centring.Learn(label, embedding);
        int classes = ClassCount;
        if (_perClass.Length < classes)
            Array.Resize(ref _perClass, classes * 2);
        if (_sums.Length < classes * _dimension)
            Array.Resize(ref _sums, Math.Max(16, classes * 2) * _dimension);
        if (_scores.Length < classes)
        {
            _scores = new float[classes * 2];
            _probabilities = new float[classes * 2];
        }
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
        ReadOnlySpan<float> prototypes = _centring.Prototypes;
        Span<float> template = _template;
        for (int c = 0; c < ClassCount; c++)
        {
            TensorPrimitives.MultiplyAdd(prototypes.Slice(c * _dimension, _dimension), _seedWeight, _sums.AsSpan(c * _dimension, _dimension), template);
            _scores[c] = TensorPrimitives.Dot(template, _query) / Math.Max(TensorPrimitives.Norm(template), 1e-12f);
        }
        return _centring.Decide(_scores, _probabilities, _centring.Temperature);
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
        _centring.Scores(_query, _scores);
        Prediction head = _centring.Decide(_scores, _probabilities, _centring.Temperature);
        bool warm = _centring.TestCentre is null || _centring.TestCentre.IsWarm;
        float lnC = MathF.Log(ClassCount);
        if (warm && ClassCount > 1 && (!_agree || head.ClassIndex == prediction.ClassIndex) && prediction.Entropy <= _entropyGate * lnC)
            Insert(prediction.ClassIndex, prediction.Entropy / lnC);
        _centring.Observe(embedding);
        if (_health.Record(prediction.ClassIndex, ClassCount, prediction.Entropy, head.ClassIndex != prediction.ClassIndex))
        {
            // The supports go; the test centre (its own signal) stays.
            _count = 0;
            Array.Clear(_perClass);
            Array.Clear(_sums);
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
        _centring.Forget(label);
        for (int i = _count - 1; i >= 0; i--)
            if (_rowClass[i] == c)
                RemoveRow(i);
        for (int i = 0; i < _count; i++)
            if (_rowClass[i] == last)
                _rowClass[i] = c;
        _perClass[c] = _perClass[last];
        _perClass[last] = 0;
        _sums.AsSpan(last * _dimension, _dimension).CopyTo(_sums.AsSpan(c * _dimension, _dimension));
        _sums.AsSpan(last * _dimension, _dimension).Clear();
        return true;
    }

    private void DropAdaptation()
    {
        _count = 0;
        Array.Clear(_perClass);
        Array.Clear(_sums);
        _centring.Reset();
    }

    private void Insert(int c, float normalisedEntropy)
    {
        int slot;
        if (_filter > 0 && _perClass[c] >= _filter || _count >= _budget)
        {
            int victim = Worst(_filter > 0 && _perClass[c] >= _filter ? c : Largest());
            if (victim < 0 || _rowEntropy[victim] <= normalisedEntropy)
                return;
            TensorPrimitives.Subtract(_sums.AsSpan(_rowClass[victim] * _dimension, _dimension), _rows.AsSpan(victim * _dimension, _dimension),
                _sums.AsSpan(_rowClass[victim] * _dimension, _dimension));
            _perClass[_rowClass[victim]]--;
            slot = victim;
        }
        else
        {
            if (_count == _rowClass.Length)
            {
                int capacity = Math.Min(_budget, Math.Max(64, _count * 2));
                Array.Resize(ref _rows, capacity * _dimension);
                Array.Resize(ref _rowClass, capacity);
                Array.Resize(ref _rowEntropy, capacity);
            }
            slot = _count++;
        }
        _query.AsSpan().CopyTo(_rows.AsSpan(slot * _dimension, _dimension));
        _rowClass[slot] = c;
        _rowEntropy[slot] = normalisedEntropy;
        _perClass[c]++;
        TensorPrimitives.Add(_sums.AsSpan(c * _dimension, _dimension), _query, _sums.AsSpan(c * _dimension, _dimension));
    }

    private int Largest()
    {
        int c = 0;
        for (int i = 1; i < ClassCount; i++)
            if (_perClass[i] > _perClass[c])
                c = i;
        return c;
    }

    private int Worst(int c)
    {
        int victim = -1;
        for (int i = 0; i < _count; i++)
            if (_rowClass[i] == c && (victim < 0 || _rowEntropy[i] > _rowEntropy[victim]))
                victim = i;
        return victim;
    }

    private void RemoveRow(int i)
    {
        int c = _rowClass[i];
        TensorPrimitives.Subtract(_sums.AsSpan(c * _dimension, _dimension), _rows.AsSpan(i * _dimension, _dimension), _sums.AsSpan(c * _dimension, _dimension));
        _perClass[c]--;
        int last = _count - 1;
        if (i != last)
        {
            _rows.AsSpan(last * _dimension, _dimension).CopyTo(_rows.AsSpan(i * _dimension, _dimension));
            _rowClass[i] = _rowClass[last];
            _rowEntropy[i] = _rowEntropy[last];
        }
        _count--;
    }

    /// <summary>The prototype head in the same (possibly test-centred) space: the fallback after a guard trip.</summary>
    private Prediction HeadPredict(ReadOnlySpan<float> embedding)
    {
        _centring.PrepareQuery(embedding, _query);
        _centring.Scores(_query, _scores);
        return _centring.Decide(_scores, _probabilities, _centring.Temperature);
    }
}
