using System.Globalization;
using System.Numerics.Tensors;
using EdgeCL.Core.Errors;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Serialization;
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
/// at most <c>entropy-gate</c>·ln C. Cost per query: C·d (class sums are kept incrementally). The checkpoint holds the supports with their class labels and entropies
/// and the test centre. Not thread-safe.</para>
/// </remarks>
public sealed class T3aLearner : FeatureAdaptationLearner
{
    /// <summary>Registry name on static CL2N features.</summary>
    public const string MethodName = "t3a";

    /// <summary>Registry name on test-centred features.</summary>
    public const string TestCentredName = "t3a-test-centred";

    /// <summary>Guard defaults (<see cref="FeatureAdaptationLearner.StrictGuard"/>).</summary>
    public static GuardOptions DefaultGuard => StrictGuard;

    private const int DefaultFilter = 20;
    private const int DefaultBudget = 1024;
    private const double DefaultSeedWeight = 20;
    private const double DefaultEntropyGate = 0.3;

    private readonly int _dimension;
    private readonly int _filter;
    private readonly int _budget;
    private readonly float _seedWeight;
    private readonly float _entropyGate;
    private readonly bool _agree;
    private readonly float[] _template;
    private float[] _rows = [];
    private int[] _rowClass = [];
    private float[] _rowEntropy = [];
    private int _count;
    private int[] _perClass = new int[16];
    private float[] _sums = [];

    /// <summary>Creates an empty learner.</summary>
    /// <exception cref="ArgumentException">Bad options or parameters.</exception>
    public T3aLearner(EmbeddingSpace space, LearnerOptions? options = null, TestCentringOptions? testCentre = null, string name = MethodName)
        : base(space, options, name, testCentre, DefaultGuard)
    {
        _dimension = space.Dimension;
        _filter = Options.GetInt(name + ".filter", DefaultFilter, -1, 100_000);
        if (_filter == 0)
            throw new ArgumentException($"Parameter {name}.filter must be -1 (keep all) or >= 1, got 0.");
        _budget = Options.GetInt(name + ".budget", DefaultBudget, 1, 10_000_000);
        if ((long)_budget * _dimension > AdaNpcLearner.MaxFloats)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Parameter {name}.budget={_budget} rows × {_dimension} floats is too large; use a smaller budget."));
        _seedWeight = (float)Options.GetDouble(name + ".seed-weight", DefaultSeedWeight, 0, 1e6);
        _entropyGate = (float)Options.GetDouble(name + ".entropy-gate", DefaultEntropyGate, 0, 1);
        _agree = Options.GetInt(name + ".agree", 1, 0, 1) == 1;
        _template = new float[_dimension];
    }

    /// <summary>Describes the parameters of <paramref name="name"/>.</summary>
    public static Dictionary<string, string> Parameters(string name, bool testCentred)
    {
        var c = CultureInfo.InvariantCulture;
        return Describe(name, DefaultGuard, testCentred, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [name + ".filter"] = string.Create(c, $"supports kept per class, lowest entropy first; -1 = all, up to the budget (default {DefaultFilter})"),
            [name + ".budget"] = string.Create(c, $"supports kept in total (default {DefaultBudget})"),
            [name + ".seed-weight"] = string.Create(c, $"weight of the labelled prototype in each template (default {DefaultSeedWeight})"),
            [name + ".entropy-gate"] = string.Create(c, $"largest entropy, as a fraction of ln C, to join (default {DefaultEntropyGate})"),
            [name + ".agree"] = "1 = join only when the labelled prototype head agrees (default 1)",
        });
    }

    /// <summary>Supports held.</summary>
    public int SupportCount => _count;

    /// <summary>Supports of class <paramref name="classIndex"/>.</summary>
    public int SupportCountOf(int classIndex) => classIndex >= 0 && classIndex < ClassCount ? _perClass[classIndex] : 0;

    /// <inheritdoc/>
    public override bool Forget(string label)
    {
        int c = Centring.Static.IndexOf(label);
        if (c < 0)
            return false;
        int last = ClassCount - 1;
        Centring.Forget(label);
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

    /// <inheritdoc/>
    protected override void OnClassesChanged()
    {
        base.OnClassesChanged();
        int classes = ClassCount;
        if (_perClass.Length < classes)
            Array.Resize(ref _perClass, classes * 2);
        if (_sums.Length < classes * _dimension)
            Array.Resize(ref _sums, Math.Max(16, classes * 2) * _dimension);
    }

    /// <inheritdoc/>
    protected override Prediction PredictAdapted(ReadOnlySpan<float> embedding)
    {
        Centring.PrepareQuery(embedding, Query);
        ReadOnlySpan<float> prototypes = Centring.Prototypes;
        Span<float> template = _template;
        Span<float> scores = ScoreBuffer;
        for (int c = 0; c < ClassCount; c++)
        {
            TensorPrimitives.MultiplyAdd(prototypes.Slice(c * _dimension, _dimension), _seedWeight, _sums.AsSpan(c * _dimension, _dimension), template);
            scores[c] = TensorPrimitives.Dot(template, Query) / Math.Max(TensorPrimitives.Norm(template), 1e-12f);
        }
        return Decide(scores);
    }

    /// <inheritdoc/>
    protected override int Adapt(ReadOnlySpan<float> embedding, Prediction prediction)
    {
        Prediction head = HeadOnQuery();
        float lnC = MathF.Log(ClassCount);
        if (CentreWarm && ClassCount > 1 && (!_agree || head.ClassIndex == prediction.ClassIndex) && prediction.Entropy <= _entropyGate * lnC)
            Insert(prediction.ClassIndex, prediction.Entropy / lnC);
        return head.ClassIndex;
    }

    /// <inheritdoc/>
    protected override void DropStreamState()
    {
        // The supports go; the test centre (its own signal) stays.
        _count = 0;
        Array.Clear(_perClass);
        Array.Clear(_sums);
    }

    /// <inheritdoc/>
    protected override void ClearAdaptation() => DropStreamState();

    /// <inheritdoc/>
    protected override void WritePayload(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(_count);
        for (int i = 0; i < _count; i++)
        {
            writer.Write(_rowClass[i]);
            writer.Write(_rowEntropy[i]);
            WriteFloats(writer, _rows.AsSpan(i * _dimension, _dimension));
        }
        // The class sums as kept (incrementally, so their rounding differs from a fresh sum of the rows): a restored
        // learner then predicts to the last bit like the saved one.
        WriteFloats(writer, _sums.AsSpan(0, ClassCount * _dimension));
    }

    /// <inheritdoc/>
    protected override Action ReadPayload(ref SpanReader reader, int[] classMap)
    {
        int count = ReadCount(ref reader, 8 + 4 * _dimension, 10_000_000);
        var classes = new List<int>(count);
        var entropies = new List<float>(count);
        var rows = new List<float[]>(count);
        for (int i = 0; i < count; i++)
        {
            int saved = reader.I32();
            float entropy = reader.F32();
            float[] row = ReadFloats(ref reader, _dimension);
            if (saved < 0 || saved >= classMap.Length || !(entropy >= 0f && entropy <= 1.0001f))
                throw new StateFormatException($"T3A checkpoint support {i} is malformed (class {saved}, entropy {entropy}); delete it and adapt again.");
            if (classMap[saved] < 0)
                continue; // a class this learner no longer knows
            classes.Add(classMap[saved]);
            entropies.Add(entropy);
            rows.Add(row);
        }
        float[] sums = ReadFloats(ref reader, classMap.Length * _dimension);
        return () =>
        {
            DropStreamState();
            for (int saved = 0; saved < classMap.Length; saved++)
                if (classMap[saved] >= 0)
                    sums.AsSpan(saved * _dimension, _dimension).CopyTo(_sums.AsSpan(classMap[saved] * _dimension, _dimension));
            if (_rowClass.Length < rows.Count)
            {
                Array.Resize(ref _rows, rows.Count * _dimension);
                Array.Resize(ref _rowClass, rows.Count);
                Array.Resize(ref _rowEntropy, rows.Count);
            }
            for (int i = 0; i < rows.Count; i++)
            {
                int c = classes[i];
                rows[i].CopyTo(_rows.AsSpan(i * _dimension, _dimension));
                _rowClass[i] = c;
                _rowEntropy[i] = entropies[i];
                _perClass[c]++;
            }
            _count = rows.Count;
            // Restored into a learner with a smaller filter or budget: the highest-entropy supports go first.
            while (_count > _budget)
                RemoveRow(Worst(Largest()));
            if (_filter > 0)
                for (int c = 0; c < ClassCount; c++)
                    while (_perClass[c] > _filter)
                        RemoveRow(Worst(c));
        };
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
        Query.AsSpan().CopyTo(_rows.AsSpan(slot * _dimension, _dimension));
        _rowClass[slot] = c;
        _rowEntropy[slot] = normalisedEntropy;
        _perClass[c]++;
        TensorPrimitives.Add(_sums.AsSpan(c * _dimension, _dimension), Query, _sums.AsSpan(c * _dimension, _dimension));
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
}
