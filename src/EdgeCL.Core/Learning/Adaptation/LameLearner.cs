using System.Globalization;
using System.Numerics.Tensors;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Serialization;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Learning.Adaptation;

/// <summary>
/// The prototype head with LAME's gradient-free output correction over a window of recent samples
/// (<c>lame</c> on CL2N features, <c>lame-test-centred</c> composed with test-stream centring).
/// </summary>
/// <remarks>
/// <para>Boudiaf et al. (CVPR 2022), algorithms.md §3.7: the network and the prototypes never change; a query's
/// class probabilities are corrected by those of its k nearest neighbours among the last W samples
/// (<see cref="LameWindow"/>): p ∝ p_head · exp(λ Σ_{j∈N} Y_j). Built for label-correlated streams, where a class
/// arrives many times in a row; on an i.i.d. stream its neighbours are less often of the same class and it loses
/// 6–15 points on the keyword dev set, so by default λ is scaled by the measured label autocorrelation of the
/// head's predictions (<see cref="LabelAutocorrelation"/>, <c>gate</c>): the head on a shuffled stream.</para>
/// <para>Guard: the prediction histogram cannot be a collapse signal here (a correlated stream legitimately
/// predicts one class for a while), so only a near-total collapse (95 %) and the entropy bound trip it; a trip
/// empties the window. The window is not checkpointed (it refills in W samples); the test centre is. Observe
/// allocates nothing. Not thread-safe.</para>
/// </remarks>
public sealed class LameLearner : FeatureAdaptationLearner
{
    /// <summary>Registry name on static CL2N features.</summary>
    public const string MethodName = "lame";

    /// <summary>Registry name on test-centred features.</summary>
    public const string TestCentredName = "lame-test-centred";

    /// <summary>Guard defaults: no disagreement bound, collapse only at 95 % of predictions.</summary>
    public static GuardOptions DefaultGuard { get; } = new() { MaxDisagreement = 1.0, CollapseFactor = 1000 };

    private const int DefaultWindow = 64;
    private const int DefaultNeighbours = 5;
    private const double DefaultLambda = 1;
    private const int DefaultIterations = 10;

    private readonly LameWindow _window;
    private readonly float _lambda;
    private readonly bool _gate;
    private readonly LabelAutocorrelation _autocorrelation = new(prior: 0);
    private float[] _unary = new float[16];
    private float[] _term = new float[16];

    /// <summary>Creates an empty learner.</summary>
    /// <exception cref="ArgumentException">Bad options or parameters.</exception>
    public LameLearner(EmbeddingSpace space, LearnerOptions? options = null, TestCentringOptions? testCentre = null, string name = MethodName)
        : base(space, options, name, testCentre, DefaultGuard)
    {
        int window = Options.GetInt(name + ".window", DefaultWindow, 2, 4096);
        int k = Options.GetInt(name + ".k", DefaultNeighbours, 1, 4095);
        if (k >= window)
            throw new ArgumentException($"Parameter {name}.k={k} must be smaller than {name}.window={window}.");
        float lambda = (float)Options.GetDouble(name + ".lambda", DefaultLambda, 0, 100);
        int iterations = Options.GetInt(name + ".iterations", DefaultIterations, 1, 100);
        _gate = Options.GetInt(name + ".gate", 1, 0, 1) == 1;
        bool mutual = Options.GetInt(name + ".mutual", 1, 0, 1) == 1;
        _lambda = lambda;
        _window = new LameWindow(space.Dimension, window, k, _gate ? 0f : lambda, iterations, mutual);
    }

    /// <summary>Describes the parameters of <paramref name="name"/>.</summary>
    public static Dictionary<string, string> Parameters(string name, bool testCentred)
    {
        var c = CultureInfo.InvariantCulture;
        return Describe(name, DefaultGuard, testCentred, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [name + ".window"] = string.Create(c, $"recent samples LAME corrects over, 2-4096 (default {DefaultWindow})"),
            [name + ".k"] = string.Create(c, $"nearest neighbours in the window that vote, 1..window-1 (default {DefaultNeighbours})"),
            [name + ".lambda"] = string.Create(c, $"weight of the neighbours' assignments against the head's log-probabilities, 0-100; 0 = the head (default {DefaultLambda})"),
            [name + ".iterations"] = string.Create(c, $"fixed-point iterations over the window per sample, 1-100 (default {DefaultIterations})"),
            [name + ".gate"] = "1 = scale λ by the measured label autocorrelation of the head's predictions (0 on a shuffled stream, where LAME hurts); 0 = always λ (default 1)",
            [name + ".mutual"] = "1 = only mutual nearest neighbours vote (a new run's first samples are not voted into the previous run's class); 0 = every kNN edge, LAME's original graph (default 1)",
        });
    }

    /// <summary>The window (for diagnostics and tests).</summary>
    public LameWindow Window => _window;

    /// <inheritdoc/>
    protected override void OnClassesChanged()
    {
        base.OnClassesChanged();
        if (_unary.Length < ClassCount)
        {
            _unary = new float[ClassCount * 2];
            _term = new float[ClassCount * 2];
        }
        _window.Prepare(ClassCount);
    }

    /// <inheritdoc/>
    public override bool Forget(string label)
    {
        bool removed = base.Forget(label);
        _window.Prepare(ClassCount);
        return removed;
    }

    /// <inheritdoc/>
    protected override Prediction PredictAdapted(ReadOnlySpan<float> embedding)
    {
        int classes = ClassCount;
        Centring.PrepareQuery(embedding, Query);
        Span<float> scores = ScoreBuffer[..classes];
        Centring.Scores(Query, scores);
        if (_window.Count == 0 || _window.ClassCount != classes)
            return Decide(scores);
        Span<float> term = _term.AsSpan(0, classes);
        _window.Correct(Query, term);
        // softmax(s/τ + term) = softmax((s + τ·term)/τ): the corrected scores keep the head's temperature.
        TensorPrimitives.MultiplyAdd(term, Centring.Temperature, scores, scores);
        return Decide(scores);
    }

    /// <inheritdoc/>
    protected override int Adapt(ReadOnlySpan<float> embedding, Prediction prediction)
    {
        // Query holds this sample's prepared query (Observe predicted just before).
        int classes = ClassCount;
        Span<float> unary = _unary.AsSpan(0, classes);
        Centring.Scores(Query, unary);
        int head = TensorPrimitives.IndexOfMax(unary);
        if (_gate)
        {
            _autocorrelation.Record(head, classes);
            _window.Lambda = (float)(_lambda * _autocorrelation.Strength);
        }
        TensorPrimitives.Multiply(unary, 1f / Centring.Temperature, unary);
        if (_window.ClassCount != classes)
            _window.Prepare(classes);
        _window.Add(Query, unary);
        return head;
    }

    /// <inheritdoc/>
    protected override void DropStreamState() => _window.Clear();

    /// <inheritdoc/>
    protected override void ClearAdaptation()
    {
        _window.Clear();
        _autocorrelation.Reset();
    }

    /// <inheritdoc/>
    protected override void WritePayload(BinaryWriter writer)
    {
        // The window is transient (it refills in W samples); the test centre is in the common header.
    }

    /// <inheritdoc/>
    protected override Action ReadPayload(ref SpanReader reader, int[] classMap) => _window.Clear;
}
