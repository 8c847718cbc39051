using System.Globalization;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Learning.Adaptation;

/// <summary>
/// EcoTTA-style meta adapter on the embedding (<c>meta-adapter</c>, <c>meta-adapter-test-centred</c>): z' = z + g(z)
/// trained online on unlabelled samples by EATA-weighted entropy minimisation of the prototype softmax plus an L1
/// pull towards the frozen embedding.
/// </summary>
/// <remarks>
/// <para><b>What it shares with EcoTTA</b> (Song et al., CVPR 2023; algorithms.md §2): a small network beside a
/// frozen backbone, the only thing that learns; entropy minimisation on confident samples (the EATA filter
/// H &lt; E0 = <c>e-margin</c>·ln C, with EATA's weight exp(E0 − H)); a self-distilled L1 regulariser that keeps the
/// adapted output near the frozen one (λ·|z' − z|₁); a start from the identity.</para>
/// <para><b>What it does not</b>: EcoTTA puts meta networks (BN + conv block) between K partitions of the backbone
/// and back-propagates the entropy through the frozen later partitions. ONNX Runtime inference gives no gradient
/// through the backbone, so here one adapter acts on the final embedding only (the design's head-level analogue,
/// algorithms.md §2.6); it cannot change what the backbone's early layers compute. No source warm-up is done.</para>
/// <para>Steps are one sample at a time (SGD with momentum), only when the sample passes the gate and the prototype
/// head on the frozen embedding agrees; forward and backward are hand-written (<see cref="MetaAdapter"/>) and
/// allocate nothing. Guard: collapse, entropy and disagreement with the frozen head drop the adapter and, by
/// default, answer with the prototype head on the frozen embedding until reset. Not thread-safe.</para>
/// </remarks>
public sealed class MetaAdapterLearner : IStreamLearner
{
    /// <summary>Registry name on static CL2N features.</summary>
    public const string MethodName = "meta-adapter";

    /// <summary>Registry name on test-centred features.</summary>
    public const string TestCentredName = "meta-adapter-test-centred";

    /// <summary>Guard defaults.</summary>
    public static GuardOptions DefaultGuard { get; } = new() { Window = 30, MaxDisagreement = 0.25, CollapseFactor = 3, Action = GuardAction.Fallback };

    private readonly FeatureCentring _centring;
    private readonly HealthMonitor _health;
    private readonly MetaAdapter _adapter;
    private readonly int _dimension;
    private readonly float _learningRate;
    private readonly float _momentum;
    private readonly float _lambda;
    private readonly float _entropyMargin;
    private readonly float[] _adapted;
    private readonly float[] _query;
    private float[] _scores = new float[16];
    private float[] _probabilities = new float[16];
    private bool _fallback;

    /// <summary>Creates an empty learner.</summary>
    /// <exception cref="ArgumentException">Bad options or parameters.</exception>
    public MetaAdapterLearner(EmbeddingSpace space, LearnerOptions? options = null, TestCentringOptions? testCentre = null, string name = MethodName)
    {
        ArgumentNullException.ThrowIfNull(space);
        space.Validate();
        options ??= LearnerOptions.Default;
        Name = name;
        _dimension = space.Dimension;
        int hidden = options.GetInt(name + ".hidden", 16, 1, 4096);
        _learningRate = (float)options.GetDouble(name + ".lr", 0.005, 0, 10);
        _momentum = (float)options.GetDouble(name + ".momentum", 0.9, 0, 0.999);
        _lambda = (float)options.GetDouble(name + ".lambda", 0.25, 0, 1000);
        _entropyMargin = (float)options.GetDouble(name + ".e-margin", 0.4, 0.001, 1);
        _health = new HealthMonitor(GuardOptions.From(options, name, DefaultGuard));
        _centring = new FeatureCentring(space, options, testCentre?.CreateCentre(_dimension), testCentre?.Align ?? false);
        _adapter = new MetaAdapter(space, hidden, options.GetInt(name + ".seed", 1));
        _adapted = new float[_dimension];
        _query = new float[_dimension];
        Space = space;
    }

    /// <summary>Describes the parameters of <paramref name="name"/>.</summary>
    public static Dictionary<string, string> Parameters(string name, bool testCentred)
    {
        var p = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [name + ".hidden"] = "hidden width h of g (default 16; parameters 2·d·h + h + d)",
            [name + ".lr"] = "SGD learning rate (default 0.005)",
            [name + ".momentum"] = "SGD momentum (default 0.9)",
            [name + ".lambda"] = "weight of the L1 pull towards the frozen embedding (default 0.25)",
            [name + ".e-margin"] = "EATA entropy gate E0 as a fraction of ln C (default 0.4)",
            [name + ".seed"] = "seed of W1's initialisation (default 1)",
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

    /// <summary>The adapter (parameters, memory, export/import).</summary>
    public MetaAdapter Adapter => _adapter;

    /// <summary>The health signals.</summary>
    public HealthMonitor Health => _health;

    /// <inheritdoc/>
    public void Learn(string label, ReadOnlySpan<float> embedding)
    {
        _centring.Learn(label, embedding);
        if (_scores.Length < ClassCount)
        {
            _scores = new float[ClassCount * 2];
            _probabilities = new float[ClassCount * 2];
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
        _adapter.Forward(embedding, _adapted);
        _centring.PrepareQuery(_adapted, _query);
        _centring.Scores(_query, _scores);
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
        // Reference: the same head on the frozen embedding.
        _centring.PrepareQuery(embedding, _query);
        _centring.Scores(_query, _scores);
        Prediction frozen = _centring.Decide(_scores, _probabilities, _centring.Temperature);
        bool warm = _centring.TestCentre is null || _centring.TestCentre.IsWarm;
        float e0 = _entropyMargin * MathF.Log(ClassCount);
        if (warm && ClassCount > 1 && prediction.Entropy < e0 && frozen.ClassIndex == prediction.ClassIndex && _learningRate > 0f)
        {
            // EATA weight exp(E0 − H), detached (algorithms.md §3.3).
            float weight = MathF.Exp(e0 - prediction.Entropy);
            _adapter.LossAndGradient(embedding, _centring.QueryCentre, _centring.Prototypes, ClassCount, 1f / _centring.Temperature, weight, _lambda);
            _adapter.Step(_learningRate, _momentum);
        }
        _centring.Observe(embedding);
        if (_health.Record(prediction.ClassIndex, ClassCount, prediction.Entropy, frozen.ClassIndex != prediction.ClassIndex))
        {
            _adapter.Reset(); // the test centre (its own signal) stays
            _fallback = _health.Options.Action == GuardAction.Fallback;
        }
        return prediction;
    }

    /// <inheritdoc/>
    public void Reset()
    {
        _adapter.Reset();
        _centring.Reset();
        _health.Reset();
        _fallback = false;
    }

    /// <inheritdoc/>
    public bool Forget(string label) => _centring.Forget(label);

    /// <summary>A one-line memory report: parameters and optimiser state in bytes.</summary>
    public string MemoryReport() => string.Create(CultureInfo.InvariantCulture,
        $"{_adapter.ParameterCount} parameters ({_adapter.ParameterBytes} B) + optimiser {_adapter.OptimizerBytes} B");

    /// <summary>The prototype head in the same (possibly test-centred) space: the fallback after a guard trip.</summary>
    private Prediction HeadPredict(ReadOnlySpan<float> embedding)
    {
        _centring.PrepareQuery(embedding, _query);
        _centring.Scores(_query, _scores);
        return _centring.Decide(_scores, _probabilities, _centring.Temperature);
    }
}
