using System.Globalization;
using EdgeCL.Core.Errors;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Serialization;
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
/// default, answer with the prototype head on the frozen embedding until reset. The checkpoint holds the weights, the
/// momentum, the step count and the test centre. Not thread-safe.</para>
/// </remarks>
public sealed class MetaAdapterLearner : FeatureAdaptationLearner
{
    /// <summary>Registry name on static CL2N features.</summary>
    public const string MethodName = "meta-adapter";

    /// <summary>Registry name on test-centred features.</summary>
    public const string TestCentredName = "meta-adapter-test-centred";

    /// <summary>Guard defaults (<see cref="FeatureAdaptationLearner.StrictGuard"/>).</summary>
    public static GuardOptions DefaultGuard => StrictGuard;

    private const int DefaultHidden = 16;
    private const double DefaultLearningRate = 0.005;
    private const double DefaultMomentum = 0.9;
    private const double DefaultLambda = 0.25;
    private const double DefaultEntropyMargin = 0.4;

    private readonly MetaAdapter _adapter;
    private readonly float _learningRate;
    private readonly float _momentum;
    private readonly float _lambda;
    private readonly float _entropyMargin;
    private readonly float[] _adapted;

    /// <summary>Creates an empty learner.</summary>
    /// <exception cref="ArgumentException">Bad options or parameters.</exception>
    public MetaAdapterLearner(EmbeddingSpace space, LearnerOptions? options = null, TestCentringOptions? testCentre = null, string name = MethodName)
        : base(space, options, name, testCentre, DefaultGuard)
    {
        int hidden = Options.GetInt(name + ".hidden", DefaultHidden, 1, 4096);
        _learningRate = (float)Options.GetDouble(name + ".lr", DefaultLearningRate, 0, 10);
        _momentum = (float)Options.GetDouble(name + ".momentum", DefaultMomentum, 0, 0.999);
        _lambda = (float)Options.GetDouble(name + ".lambda", DefaultLambda, 0, 1000);
        _entropyMargin = (float)Options.GetDouble(name + ".e-margin", DefaultEntropyMargin, 0.001, 1);
        _adapter = new MetaAdapter(space, hidden, Options.GetInt(name + ".seed", 1));
        _adapted = new float[space.Dimension];
    }

    /// <summary>Describes the parameters of <paramref name="name"/>.</summary>
    public static Dictionary<string, string> Parameters(string name, bool testCentred)
    {
        var c = CultureInfo.InvariantCulture;
        return Describe(name, DefaultGuard, testCentred, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [name + ".hidden"] = string.Create(c, $"hidden width h of g (default {DefaultHidden}; parameters 2·d·h + h + d)"),
            [name + ".lr"] = string.Create(c, $"SGD learning rate (default {DefaultLearningRate})"),
            [name + ".momentum"] = string.Create(c, $"SGD momentum (default {DefaultMomentum})"),
            [name + ".lambda"] = string.Create(c, $"weight of the L1 pull towards the frozen embedding (default {DefaultLambda})"),
            [name + ".e-margin"] = string.Create(c, $"EATA entropy gate E0 as a fraction of ln C (default {DefaultEntropyMargin})"),
            [name + ".seed"] = "seed of W1's initialisation (default 1)",
        });
    }

    /// <summary>The adapter (parameters, memory, export/import).</summary>
    public MetaAdapter Adapter => _adapter;

    /// <summary>A one-line memory report: parameters and optimiser state in bytes.</summary>
    public string MemoryReport() => string.Create(CultureInfo.InvariantCulture,
        $"{_adapter.ParameterCount} parameters ({_adapter.ParameterBytes} B) + optimiser {_adapter.OptimizerBytes} B");

    /// <inheritdoc/>
    protected override Prediction PredictAdapted(ReadOnlySpan<float> embedding)
    {
        _adapter.Forward(embedding, _adapted);
        return HeadPredict(_adapted);
    }

    /// <inheritdoc/>
    protected override int Adapt(ReadOnlySpan<float> embedding, Prediction prediction)
    {
        // Reference: the same head on the frozen embedding.
        Prediction frozen = HeadPredict(embedding);
        float e0 = _entropyMargin * MathF.Log(ClassCount);
        if (CentreWarm && ClassCount > 1 && prediction.Entropy < e0 && frozen.ClassIndex == prediction.ClassIndex && _learningRate > 0f)
        {
            // EATA weight exp(E0 − H), detached (algorithms.md §3.3).
            float weight = MathF.Exp(e0 - prediction.Entropy);
            _adapter.LossAndGradient(embedding, Centring.QueryCentre, Centring.Prototypes, ClassCount, 1f / Centring.Temperature, weight, _lambda);
            _adapter.Step(_learningRate, _momentum);
        }
        return frozen.ClassIndex;
    }

    /// <inheritdoc/>
    protected override void DropStreamState() => _adapter.Reset(); // the test centre (its own signal) stays

    /// <inheritdoc/>
    protected override void ClearAdaptation() => _adapter.Reset();

    /// <inheritdoc/>
    protected override void WritePayload(BinaryWriter writer) => _adapter.WriteState(writer);

    /// <inheritdoc/>
    protected override Action ReadPayload(ref SpanReader reader, int[] classMap)
    {
        int hidden = reader.I32();
        long steps = reader.I64();
        if (hidden != _adapter.Hidden)
            throw new StateFormatException($"Meta-adapter checkpoint has hidden width {hidden}, this learner {_adapter.Hidden}; set the same width or delete it.");
        if (steps < 0)
            throw new StateFormatException($"Meta-adapter checkpoint has a negative step count {steps}; delete it and adapt again.");
        float[] theta = ReadFloats(ref reader, _adapter.ParameterCount);
        float[] momentum = ReadFloats(ref reader, _adapter.ParameterCount);
        return () => _adapter.ApplyState(theta, momentum, steps);
    }
}
