using System.Numerics.Tensors;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Learning.Adaptation;

/// <summary>
/// The labelled prototypes and the centring every feature-space adaptation learner shares: static CL2N, or
/// test-stream centring (<see cref="TestStreamCentre"/>), composed through the constructor.
/// </summary>
/// <remarks>
/// <para>The static head is a <see cref="PrototypeMemory"/> centred by the labelled mean (<c>ncm-centred</c>): it is
/// the reference for the guard rails and the fallback. Queries are centred by the query centre (the running test
/// mean once warm, else the labelled mean) and L2-normalised; prototypes by the prototype centre, which is the
/// labelled mean when <see cref="AlignPrototypes"/> is false (each side centred by its own mean: source and
/// target statistics aligned) and the query centre when it is true (one shared centre, as with
/// <see cref="CentringMode.Supplied"/>). Normalised prototypes are cached and rebuilt when a centre moves
/// (<see cref="Version"/>): C·d per change. Cosine only. Not thread-safe.</para>
/// </remarks>
public sealed class FeatureCentring
{
    private readonly int _dimension;
    private float[] _prototypes = [];
    private long _preparedVersion = -1;
    private readonly float[] _balanced;
    private readonly float[] _queryCentre;
    private long _queryCentreVersion = -1;

    /// <summary>Creates an empty set of prototypes.</summary>
    /// <param name="space">The embedding space.</param>
    /// <param name="options">Shared settings (cosine only).</param>
    /// <param name="testCentre">A running test-stream mean, or null for static CL2N.</param>
    /// <param name="alignPrototypes">Centre prototypes by the test mean too (true) or by the labelled mean (false).</param>
    /// <exception cref="ArgumentException">A non-cosine metric, a dimension mismatch or bad options.</exception>
    /// <param name="balance">Class-balanced test statistics (<see cref="TestCentringOptions.Balance"/>: 0 off, 1 always, 2 by the measured label autocorrelation).</param>
    /// <param name="balanceByAdaptedHead">Swap out the adapted head's predicted class (true, before issue 11's correlated-order work) instead of the static head's.</param>
    /// <param name="detectCorrelation">c in the shift detector's threshold h·(1 + c·ρ), ρ the measured label autocorrelation (0 = fixed).</param>
    /// <param name="shrink">κ in the centre's shrinkage toward the labelled mean (<see cref="TestCentringOptions.Shrink"/>; 0 = off).</param>
    /// <param name="shrinkCorrelation">β, the estimate's noise inflated by (1 + β·ρ) in label-correlated order.</param>
    public FeatureCentring(EmbeddingSpace space, LearnerOptions options, TestStreamCentre? testCentre, bool alignPrototypes = false, int balance = 0,
        bool balanceByAdaptedHead = false, double detectCorrelation = 0, double shrink = 0, double shrinkCorrelation = 0)
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.Metric != SimilarityMetric.Cosine)
            throw new ArgumentException($"Test-time adaptation learners compare centred, L2-normalised vectors (cosine); metric {options.Metric} is not supported.");
        if (testCentre is not null && testCentre.Mean.Length != space.Dimension)
            throw new ArgumentException($"The test centre is {testCentre.Mean.Length}-d but the space is {space.Dimension}-d.", nameof(testCentre));
        Static = new PrototypeMemory(space, new PrototypeMemoryOptions { Metric = SimilarityMetric.Cosine, Centring = CentringMode.LabelledMean, Temperature = options.Temperature });
        TestCentre = testCentre;
        AlignPrototypes = alignPrototypes;
        Balance = testCentre is null ? 0 : Math.Clamp(balance, 0, 2);
        BalanceByAdaptedHead = balanceByAdaptedHead;
        if (!(detectCorrelation >= 0 && double.IsFinite(detectCorrelation)))
            throw new ArgumentOutOfRangeException(nameof(detectCorrelation), detectCorrelation, "The detector's correlation factor must be a finite number >= 0.");
        DetectCorrelation = detectCorrelation;
        if (!(shrink >= 0 && double.IsFinite(shrink)) || !(shrinkCorrelation >= 0 && double.IsFinite(shrinkCorrelation)))
            throw new ArgumentOutOfRangeException(nameof(shrink), $"The shrinkage factors must be finite numbers >= 0 (got {shrink}, {shrinkCorrelation}).");
        Shrink = shrink;
        ShrinkCorrelation = shrinkCorrelation;
        _balanced = Balance > 0 ? new float[space.Dimension] : [];
        _queryCentre = testCentre is not null && shrink > 0 ? new float[space.Dimension] : [];
        Temperature = options.Temperature;
        _dimension = space.Dimension;
    }

    /// <summary>The static CL2N head (labelled knowledge only): the guard's reference and the fallback.</summary>
    public PrototypeMemory Static { get; }

    /// <summary>The running test mean, or null for static centring.</summary>
    public TestStreamCentre? TestCentre { get; }

    /// <summary>Whether prototypes are centred by the test mean too.</summary>
    public bool AlignPrototypes { get; }

    /// <summary>Class-balanced test statistics: 0 off, 1 always, 2 by the measured label autocorrelation.</summary>
    public int Balance { get; }

    /// <summary>Whether a balanced sample swaps out the adapted head's predicted class rather than the static head's.</summary>
    public bool BalanceByAdaptedHead { get; }

    /// <summary>c in the shift detector's threshold h·(1 + c·ρ).</summary>
    public double DetectCorrelation { get; }

    /// <summary>κ of the centre's shrinkage toward the labelled mean (0 = the running mean as it is).</summary>
    public double Shrink { get; }

    /// <summary>β: the estimate's noise counts (1 + β·ρ) times in label-correlated order.</summary>
    public double ShrinkCorrelation { get; }

    /// <summary>The share s of the running mean's offset from the labelled mean that queries are centred by (1 without shrinkage).</summary>
    public double CentreWeight { get; private set; } = 1;

    /// <summary>The stream's measured label autocorrelation (drives <see cref="Balance"/> = 2).</summary>
    public LabelAutocorrelation Autocorrelation { get; } = new();

    /// <summary>Softmax temperature of the cosine head.</summary>
    public float Temperature { get; }

    /// <summary>Embedding length.</summary>
    public int Dimension => _dimension;

    /// <summary>Classes known.</summary>
    public int ClassCount => Static.ClassCount;

    /// <summary>Changes whenever a centre or a prototype changes.</summary>
    public long Version { get; private set; }

    /// <summary>The vector subtracted from queries.</summary>
    public ReadOnlySpan<float> QueryCentre
    {
        get
        {
            if (TestCentre is not { IsWarm: true })
                return Static.Centre;
            if (Shrink <= 0)
                return TestCentre.Mean;
            if (_queryCentreVersion != Version)
                ShrinkQueryCentre();
            return _queryCentre;
        }
    }

    /// <summary>m̄ + s·(c − m̄): the running mean c pulled toward the labelled mean m̄ by as much as its own noise explains.</summary>
    /// <remarks>
    /// <para>Positive-part James–Stein: s = max(0, 1 − κ·v/‖c − m̄‖²), v = <see cref="TestStreamCentre.EstimateVariance"/>
    /// × (1 + β·ρ). Where the condition moves the embeddings far (noise, reverberation) ‖c − m̄‖² dwarfs v and s ≈ 1;
    /// where it barely moves them (clean, telephone band) the offset is mostly the estimate's own noise and s ≈ 0, the
    /// static head. In label-correlated order the balanced samples of a run are not independent (partial balancing,
    /// wrong static labels repeat along a run), so v counts (1 + β·ρ) times. Issue 11: it removed the clean and
    /// telephone losses of set 1's label-correlated open-set stream; docs/adaptation-across-shifts.md.</para>
    /// </remarks>
    private void ShrinkQueryCentre()
    {
        ReadOnlySpan<float> labelled = Static.Centre;
        Span<float> centre = _queryCentre;
        TensorPrimitives.Subtract(TestCentre!.Mean, labelled, centre);
        double offset = TensorPrimitives.Dot(centre, centre);
        double noise = TestCentre.EstimateVariance * (1 + ShrinkCorrelation * Autocorrelation.Strength);
        double weight = offset > 0 ? Math.Max(0, 1 - Shrink * noise / offset) : 0;
        TensorPrimitives.MultiplyAdd(centre, (float)weight, labelled, centre);
        CentreWeight = weight;
        _queryCentreVersion = Version;
    }

    /// <summary>The vector subtracted from prototypes and labelled rows.</summary>
    public ReadOnlySpan<float> PrototypeCentre => AlignPrototypes ? QueryCentre : Static.Centre;

    /// <summary>Centred, normalised prototypes, row-major (classes × dimension).</summary>
    public ReadOnlySpan<float> Prototypes
    {
        get
        {
            EnsurePrepared();
            return _prototypes.AsSpan(0, ClassCount * _dimension);
        }
    }

    /// <summary>Adds a labelled example (validated first; nothing changes when it throws).</summary>
    public void Learn(string label, ReadOnlySpan<float> embedding)
    {
        Static.Add(label, embedding);
        Version++;
    }

    /// <summary>Forgets a class.</summary>
    public bool Forget(string label)
    {
        bool removed = Static.Forget(label);
        Version++;
        return removed;
    }

    /// <summary>Folds a validated test embedding into the test centre (no-op without one).</summary>
    public void Observe(ReadOnlySpan<float> embedding) => Observe(embedding, -1);

    /// <summary>Folds a validated test embedding, predicted as class <paramref name="predicted"/> (−1: unknown), into the test centre.</summary>
    /// <remarks>
    /// <para>With <see cref="Balance"/> the centre follows x − α(m_ŷ − m̄) (m_ŷ the labelled mean of the predicted
    /// class, m̄ the labelled mean): the class signal is swapped for the average class, so a run of one class
    /// (label-correlated order) moves the centre only by the domain's offset. α = 1, or (mode 2) the measured label
    /// autocorrelation: on a shuffled stream plain x is better (wrong pseudo-labels under a hard shift bias the
    /// balanced sample; dev set, issue 11), on a correlated one the balanced sample is.</para>
    /// <para>ŷ is the static head's class (labelled centre, no test statistics), not the adapted head's: a run of
    /// class A that the adapted head reads as B moves the centre by m_A − m_B, after which the next A reads as B
    /// again (a loop that locked MNIST-C fog and glass blur onto wrong digits, 10–16 points below static). The
    /// static head's mistakes do not depend on the centre, so they cannot feed back. <paramref name="predicted"/>
    /// (the adapted head's) still measures the order.</para>
    /// <para>In label-correlated order the end of a class run changes the sample distances too; the shift
    /// detector's threshold is raised to h·(1 + c·ρ) so that runs do not read as shifts (before: 7.7 detections for
    /// 4 boundaries on the correlated dev stream, 49 for 25 on MNIST-C; issue 11).</para>
    /// </remarks>
    public void Observe(ReadOnlySpan<float> embedding, int predicted)
    {
        if (TestCentre is null)
            return;
        int detections = TestCentre.Detections;
        Autocorrelation.Record(predicted, ClassCount);
        double strength = Autocorrelation.Strength;
        float alpha = Balance == 1 ? 1f : Balance == 2 ? (float)strength : 0f;
        if (alpha > 0f && predicted >= 0 && predicted < ClassCount)
        {
            int swapped = BalanceByAdaptedHead ? predicted : Static.Predict(embedding).ClassIndex;
            TensorPrimitives.Subtract(Static.Centre, Static.MeanAt(swapped), _balanced);
            TensorPrimitives.MultiplyAdd(_balanced, alpha, embedding, _balanced);
            embedding = _balanced;
        }
        TestCentre.Update(embedding, 1 + DetectCorrelation * strength);
        if (TestCentre.IsWarm || TestCentre.Detections != detections)
            Version++;
    }

    /// <summary>Forgets the test statistics.</summary>
    /// <remarks>The label-autocorrelation estimate stays: it measures how the stream is ordered, which a guard trip or
    /// a reset does not change; dropping it made every guard trip restart with the balanced prior on a head whose
    /// pseudo-labels had just collapsed (MNIST-C blur, issue 11).</remarks>
    public void Reset()
    {
        TestCentre?.Reset();
        Version++;
    }

    /// <summary>Replaces the test centre's estimate (a checkpoint); no-op without a test centre.</summary>
    public void RestoreCentre(ReadOnlySpan<float> mean, long count, double meanDistance)
    {
        if (TestCentre is null)
            return;
        TestCentre.Restore(mean, count, meanDistance);
        Version++;
    }

    /// <summary>The stream statistics beside the centre (the shift detector, the label autocorrelation), as numbers for a checkpoint.</summary>
    /// <remarks>Layout: 1 and the detector's state, or 0 without a detector; then the autocorrelation's state; then, with
    /// a test centre, its noise (<see cref="TestStreamCentre.ExportNoise"/>: 2 numbers; states written before the
    /// shrunk centre end without them, and the centre then takes the steady state of its weights).</remarks>
    public double[] ExportStreamState()
    {
        var state = new List<double>();
        ShiftDetector? detector = TestCentre?.Detector;
        state.Add(detector is null ? 0 : 1);
        detector?.ExportState(state);
        Autocorrelation.ExportState(state, ClassCount);
        TestCentre?.ExportNoise(state);
        return [.. state];
    }

    /// <summary>Checks a state from <see cref="ExportStreamState"/> and returns the action that applies it, or null when it is malformed.</summary>
    /// <remarks>A detector state saved with detection on and restored with it off (or the reverse) is skipped: the
    /// detector then learns its baseline afresh.</remarks>
    public Action? CheckStreamState(double[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Length < 1 || state[0] is not (0 or 1))
            return null;
        int detector = state[0] == 1 ? ShiftDetector.StateLength : 0;
        int order = 1 + detector;
        if (state.Length < order + 5 || (detector > 0 && !ShiftDetector.IsValidState(state.AsSpan(1, detector)))
            || !(state[order + 4] >= 0 && state[order + 4] <= state.Length - order - 5))
            return null;
        int noise = order + 5 + (int)state[order + 4];
        if (!LabelAutocorrelation.IsValidState(state.AsSpan(order, noise - order))
            || (state.Length != noise && (state.Length != noise + 2 || !TestStreamCentre.IsValidNoise(state.AsSpan(noise)))))
            return null;
        return () =>
        {
            if (detector > 0)
                TestCentre?.Detector?.ImportState(state.AsSpan(1, detector));
            Autocorrelation.ImportState(state.AsSpan(order, noise - order));
            if (state.Length > noise)
                TestCentre?.ImportNoise(state.AsSpan(noise));
            Version++;
        };
    }

    /// <summary>Writes normalize(<paramref name="embedding"/> − query centre) into <paramref name="destination"/>.</summary>
    public void PrepareQuery(ReadOnlySpan<float> embedding, Span<float> destination)
    {
        TensorPrimitives.Subtract(embedding, QueryCentre, destination);
        VectorKernels.NormalizeInPlace(destination);
    }

    /// <summary>Writes normalize(<paramref name="row"/> − prototype centre) into <paramref name="destination"/>.</summary>
    public void PrepareLabelledRow(ReadOnlySpan<float> row, Span<float> destination)
    {
        TensorPrimitives.Subtract(row, PrototypeCentre, destination);
        VectorKernels.NormalizeInPlace(destination);
    }

    /// <summary>Cosine scores of a prepared query against every prototype.</summary>
    public void Scores(ReadOnlySpan<float> preparedQuery, Span<float> scores) =>
        VectorKernels.DotRows(Prototypes, _dimension, preparedQuery, scores[..ClassCount]);

    /// <summary>A prediction from class scores (softmax at <see cref="Temperature"/>); <paramref name="probabilities"/> is scratch of length ≥ C.</summary>
    public Prediction Decide(ReadOnlySpan<float> scores, Span<float> probabilities, float temperature)
    {
        int classes = ClassCount;
        if (classes == 0)
            return new Prediction(-1, string.Empty, 0f, 0f, 0f, 0f);
        scores = scores[..classes];
        int best = 0, second = -1;
        for (int i = 1; i < classes; i++)
        {
            if (scores[i] > scores[best]) { second = best; best = i; }
            else if (second < 0 || scores[i] > scores[second]) second = i;
        }
        Span<float> p = probabilities[..classes];
        VectorKernels.Softmax(scores, temperature, p);
        float margin = second < 0 ? 0f : scores[best] - scores[second];
        return new Prediction(best, Static.LabelAt(best), scores[best], margin, p[best], VectorKernels.Entropy(p));
    }

    private void EnsurePrepared()
    {
        if (_preparedVersion == Version)
            return;
        int classes = ClassCount;
        if (_prototypes.Length < classes * _dimension)
            _prototypes = new float[Math.Max(classes, 16) * _dimension];
        for (int c = 0; c < classes; c++)
            PrepareLabelledRow(Static.MeanAt(c), _prototypes.AsSpan(c * _dimension, _dimension));
        _preparedVersion = Version;
    }
}
