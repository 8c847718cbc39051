using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using EdgeCL.Core.Errors;
using EdgeCL.Core.Learning.OpenSet;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Serialization;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Learning.Adaptation;

/// <summary>
/// The plumbing every feature-space adaptation learner shares: labelled prototypes and centring
/// (<see cref="FeatureCentring"/>), the guard (<see cref="HealthMonitor"/>, fallback to the prototype head), score
/// buffers, the predict/observe skeleton, parameter descriptions and the adaptation checkpoint format.
/// </summary>
/// <remarks>
/// <para>A learner supplies its adapted prediction (<see cref="PredictAdapted"/>), its update
/// (<see cref="Adapt"/>), how it drops its stream state (<see cref="DropStreamState"/>) and its checkpoint payload.
/// The skeleton of <see cref="Observe"/>: predict; in fallback only the test centre follows the stream; otherwise
/// adapt, fold the sample into the test centre and record the health signals; a tripped guard drops the stream state
/// and, with <see cref="GuardAction.Fallback"/>, answers with the prototype head until <see cref="Reset"/>.</para>
/// <para>Checkpoint layout (little-endian): "ECTA" · u16 version (2) · u16 name bytes · UTF-8 name · u16 id bytes ·
/// UTF-8 space id · i32 dimension · u8 fallback · u8 has centre · [i64 count · f64 mean distance · f32×d mean] ·
/// [version 2: i32 n · f64×n stream statistics: shift detector and label autocorrelation, <see cref="FeatureCentring.ExportStreamState"/>] ·
/// i32 labels · labels { u16 bytes · UTF-8 } · payload · u32 CRC-32 of everything before it (version 1, without the
/// statistics, still restores; they then start afresh). Rows in a payload
/// name a class by its index in that label table, so a checkpoint restores into a learner rebuilt with other
/// labelled classes; rows of classes it does not know are dropped. Not thread-safe.</para>
/// </remarks>
public abstract class FeatureAdaptationLearner : IStreamLearner, IAdaptationCheckpoint, IShiftDetecting
{
    private const ushort CheckpointVersion = 2;
    private static ReadOnlySpan<byte> CheckpointMagic => "ECTA"u8;

    private float[] _scores = new float[16];
    private float[] _probabilities = new float[16];
    private float[] _gateScores = new float[16]; // the prototype head's scores, for the open-set verdict
    private bool _fallback;

    /// <summary>Creates the shared parts.</summary>
    /// <param name="space">The embedding space.</param>
    /// <param name="options">Shared settings and <c>&lt;name&gt;.*</c> parameters.</param>
    /// <param name="name">Registry name under which the parameters are read.</param>
    /// <param name="testCentre">Test-stream centring to compose with, or null for static CL2N.</param>
    /// <param name="guardDefaults">The learner's guard defaults.</param>
    /// <exception cref="ArgumentException">Bad options or parameters.</exception>
    protected FeatureAdaptationLearner(EmbeddingSpace space, LearnerOptions? options, string name, TestCentringOptions? testCentre, GuardOptions guardDefaults)
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(name);
        space.Validate();
        options ??= LearnerOptions.Default;
        Name = name;
        Space = space;
        Options = options;
        Health = new HealthMonitor(GuardOptions.From(options, name, guardDefaults));
        Centring = new FeatureCentring(space, options, testCentre?.CreateCentre(space.Dimension), testCentre?.Align ?? false, testCentre?.Balance ?? 0,
            testCentre?.BalanceHead == 1, testCentre?.DetectCorrelation ?? 0, testCentre?.Shrink ?? 0, testCentre?.ShrinkCorrelation ?? 0);
        Query = new float[space.Dimension];
    }

    /// <summary>
    /// The guard of the learners that write test-derived state (AdaNPC, T3A, the meta adapter): a 30-sample window,
    /// more than 25 % disagreement with the prototype head or a class above 3/C of predictions falls back to the head.
    /// </summary>
    public static GuardOptions StrictGuard { get; } = new() { Window = 30, MaxDisagreement = 0.25, CollapseFactor = 3, Action = GuardAction.Fallback };

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public EmbeddingSpace Space { get; }

    /// <inheritdoc/>
    public int ClassCount => Centring.ClassCount;

    /// <summary>The health signals.</summary>
    public HealthMonitor Health { get; }

    /// <inheritdoc/>
    public int ShiftDetections => Centring.TestCentre?.Detections ?? 0;

    /// <summary>True while answering with the prototype head after a guard trip (<c>guard-action=fallback</c>).</summary>
    public bool InFallback => _fallback;

    /// <summary>The index of class <paramref name="label"/>, or −1 when unknown.</summary>
    public int ClassIndexOf(string label) => Centring.Static.IndexOf(label);

    /// <summary>The options the learner was built with.</summary>
    protected LearnerOptions Options { get; }

    /// <summary>Labelled prototypes and centring.</summary>
    protected FeatureCentring Centring { get; }

    /// <summary>Embedding length.</summary>
    protected int Dimension => Space.Dimension;

    /// <summary>Scratch: the prepared (centred, normalised) query of the last prediction.</summary>
    protected float[] Query { get; }

    /// <summary>Scratch class scores, length ≥ <see cref="ClassCount"/>.</summary>
    protected Span<float> ScoreBuffer => _scores;

    /// <summary>Scratch class probabilities, length ≥ <see cref="ClassCount"/>.</summary>
    protected Span<float> ProbabilityBuffer => _probabilities;

    /// <summary>True when the test centre (if any) is warm, so test-derived state may be written.</summary>
    protected bool CentreWarm => Centring.TestCentre is null || Centring.TestCentre.IsWarm;

    /// <summary>Adds the guard and (when <paramref name="testCentred"/>) the centring parameter descriptions to <paramref name="parameters"/>.</summary>
    protected static Dictionary<string, string> Describe(string name, GuardOptions guardDefaults, bool testCentred, Dictionary<string, string> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        GuardOptions.Describe(name, guardDefaults, parameters);
        if (testCentred)
            TestCentringOptions.Describe(name, parameters);
        return parameters;
    }

    /// <inheritdoc/>
    public virtual void Learn(string label, ReadOnlySpan<float> embedding)
    {
        Centring.Learn(label, embedding);
        OnClassesChanged();
    }

    /// <inheritdoc/>
    public Prediction Predict(ReadOnlySpan<float> embedding)
    {
        VectorKernels.EnsureValidEmbedding(embedding, Dimension);
        if (ClassCount == 0)
            return Centring.Static.Predict(embedding);
        if (Options.OpenSet is null)
            return _fallback ? FallbackPredict(embedding) : PredictAdapted(embedding);
        // The open-set verdict is taken on the prototype head in the learner's space, whatever the classifier: its
        // cosine has one scale for every method, so one threshold means the same everywhere. The head runs first so
        // that the adapted prediction leaves its prepared query for Adapt.
        HeadPredict(embedding);
        if (_gateScores.Length < ClassCount)
            _gateScores = new float[_scores.Length];
        _scores.AsSpan(0, ClassCount).CopyTo(_gateScores);
        Prediction prediction = _fallback ? FallbackPredict(embedding) : PredictAdapted(embedding);
        float gate = prediction.HasClass ? _gateScores[prediction.ClassIndex] : float.NegativeInfinity;
        return OpenSetGate.Apply(prediction, gate, Options.OpenSet);
    }

    /// <inheritdoc/>
    public Prediction Observe(ReadOnlySpan<float> embedding)
    {
        Prediction prediction = Predict(embedding);
        if (ClassCount == 0)
            return prediction;
        if (_fallback)
        {
            Centring.Observe(embedding, prediction.ClassIndex);
            return prediction;
        }
        if (prediction.Rejected)
        {
            // Never absorb what was judged unknown (another word, talk, noise, the background class): no test rows, no
            // supports, no adapter step, no health sample, and not the test centre either. Where most of what a device
            // hears is none of its classes, a centre that followed it drifted to "generic talk": on the independent
            // set's open-set stream, clean accuracy 84.2 % against 87.9 % and false rejects 7.5 % against 5.4 % when
            // rejected samples are left out (brown noise 70.4 against 75.0 %), false accepts within 1.3 points.
            return prediction;
        }
        int reference = Adapt(embedding, prediction);
        Centring.Observe(embedding, prediction.ClassIndex);
        if (Health.Record(prediction.ClassIndex, ClassCount, prediction.Entropy, reference != prediction.ClassIndex))
        {
            DropStreamState();
            _fallback = Health.Options.Action == GuardAction.Fallback;
        }
        return prediction;
    }

    /// <inheritdoc/>
    public void Reset()
    {
        ClearAdaptation();
        Centring.Reset();
        Health.Reset();
        _fallback = false;
    }

    /// <inheritdoc/>
    public virtual bool Forget(string label) => Centring.Forget(label);

    /// <summary>Grows the score buffers to the class count; learners override to grow their own per-class state (call base).</summary>
    protected virtual void OnClassesChanged()
    {
        if (_scores.Length < ClassCount)
        {
            _scores = new float[ClassCount * 2];
            _probabilities = new float[ClassCount * 2];
        }
    }

    /// <summary>The adapted prediction of a validated embedding (classes ≥ 1, not in fallback); leaves the prepared query in <see cref="Query"/> when the learner uses one.</summary>
    protected abstract Prediction PredictAdapted(ReadOnlySpan<float> embedding);

    /// <summary>Adapts to one sample after <paramref name="prediction"/> was made; returns the reference head's class (the guard's disagreement signal).</summary>
    protected abstract int Adapt(ReadOnlySpan<float> embedding, Prediction prediction);

    /// <summary>What a tripped guard drops (the test centre, its own signal, stays unless the learner drops it).</summary>
    protected abstract void DropStreamState();

    /// <summary>Drops everything learned from the stream except the test centre (reset by the caller).</summary>
    protected abstract void ClearAdaptation();

    /// <summary>What answers in fallback: the prototype head in the same (possibly test-centred) space.</summary>
    protected virtual Prediction FallbackPredict(ReadOnlySpan<float> embedding) => HeadPredict(embedding);

    /// <summary>The prototype head on <paramref name="embedding"/> in the learner's space (prepares <see cref="Query"/>).</summary>
    protected Prediction HeadPredict(ReadOnlySpan<float> embedding)
    {
        Centring.PrepareQuery(embedding, Query);
        return HeadOnQuery();
    }

    /// <summary>The prototype head on the already prepared <see cref="Query"/>.</summary>
    protected Prediction HeadOnQuery()
    {
        Centring.Scores(Query, _scores);
        return Centring.Decide(_scores, _probabilities, Centring.Temperature);
    }

    /// <summary>A prediction from the learner's own class scores (softmax at the head's temperature).</summary>
    protected Prediction Decide(ReadOnlySpan<float> scores) => Centring.Decide(scores, _probabilities, Centring.Temperature);

    /// <inheritdoc/>
    public byte[] SaveAdaptation()
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(CheckpointMagic);
            w.Write(CheckpointVersion);
            WriteString(w, Name);
            WriteString(w, Space.Id);
            w.Write(Dimension);
            w.Write((byte)(_fallback ? 1 : 0));
            TestStreamCentre? centre = Centring.TestCentre;
            w.Write((byte)(centre is null ? 0 : 1));
            if (centre is not null)
            {
                w.Write(centre.Count);
                w.Write(centre.MeanDistance);
                WriteFloats(w, centre.Mean);
                double[] statistics = Centring.ExportStreamState();
                w.Write(statistics.Length);
                foreach (double v in statistics)
                    w.Write(v);
            }
            w.Write(ClassCount);
            for (int c = 0; c < ClassCount; c++)
                WriteString(w, Centring.Static.LabelAt(c));
            WritePayload(w);
        }
        uint crc = Crc32.Compute(stream.GetBuffer().AsSpan(0, (int)stream.Length));
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(tail, crc);
        stream.Write(tail);
        return stream.ToArray();
    }

    /// <inheritdoc/>
    public void RestoreAdaptation(ReadOnlySpan<byte> checkpoint)
    {
        if (checkpoint.Length < CheckpointMagic.Length + 2 + 4)
            throw new StateFormatException($"Adaptation checkpoint is truncated ({checkpoint.Length} bytes); delete it and adapt again.");
        if (!checkpoint[..4].SequenceEqual(CheckpointMagic))
            throw new StateFormatException("Not an EdgeCL adaptation checkpoint (no 'ECTA' magic); delete it and adapt again.");
        ReadOnlySpan<byte> body = checkpoint[..^4];
        if (Crc32.Compute(body) != BinaryPrimitives.ReadUInt32LittleEndian(checkpoint[^4..]))
            throw new StateFormatException("Adaptation checkpoint is corrupt (CRC mismatch); delete it and adapt again.");
        var r = new SpanReader(body);
        r.Skip(4);
        ushort version = r.U16();
        if (version is not (1 or CheckpointVersion))
            throw new StateFormatException($"Adaptation checkpoint version {version} is not supported (expected {CheckpointVersion}); delete it and adapt again.");
        string name = ReadString(ref r);
        if (name != Name)
            throw new StateFormatException($"Adaptation checkpoint is of learner '{name}', not '{Name}'; delete it or run '{name}'.");
        string id = ReadString(ref r);
        int dimension = r.I32();
        if (id != Space.Id || dimension != Dimension)
            throw new StateFormatException($"Adaptation checkpoint is for embedding space '{id}' ({dimension}-d) but this learner uses {Space}; adapt again on this backbone.");
        byte fallback = r.U8();
        byte hasCentre = r.U8();
        if (fallback > 1 || hasCentre > 1 || (hasCentre == 1) != (Centring.TestCentre is not null))
            throw new StateFormatException("Adaptation checkpoint has malformed flags; delete it and adapt again.");
        long centreCount = 0;
        Action? restoreStatistics = null;
        double centreDistance = 0;
        float[]? centreMean = null;
        if (hasCentre == 1)
        {
            centreCount = r.I64();
            centreDistance = BitConverter.Int64BitsToDouble(r.I64());
            centreMean = ReadFloats(ref r, Dimension);
            if (version >= 2)
            {
                int n = r.I32();
                if (n < 0 || n > r.Remaining / 8)
                    throw new StateFormatException($"Adaptation checkpoint declares {n} stream statistics, more than its bytes hold; delete it and adapt again.");
                var statistics = new double[n];
                for (int i = 0; i < n; i++)
                    statistics[i] = BitConverter.Int64BitsToDouble(r.I64());
                restoreStatistics = Centring.CheckStreamState(statistics)
                    ?? throw new StateFormatException("Adaptation checkpoint has invalid shift-detector or autocorrelation statistics; delete it and adapt again.");
            }
            if (centreCount < 0 || !double.IsFinite(centreDistance) || centreDistance < 0)
                throw new StateFormatException("Adaptation checkpoint has an invalid test centre; delete it and adapt again.");
        }
        int labels = r.I32();
        if (labels < 0 || labels > r.Remaining / 2)
            throw new StateFormatException($"Adaptation checkpoint declares {labels} labels, more than its bytes hold; delete it and adapt again.");
        var map = new int[labels];
        for (int i = 0; i < labels; i++)
            map[i] = Centring.Static.IndexOf(ReadString(ref r));
        Action commit = ReadPayload(ref r, map);
        if (r.Remaining != 0)
            throw new StateFormatException($"Adaptation checkpoint has {r.Remaining} unexpected bytes after its payload; delete it and adapt again.");
        // Everything is parsed and checked: now, and only now, the state changes.
        if (centreMean is not null)
            Centring.RestoreCentre(centreMean, centreCount, centreDistance);
        restoreStatistics?.Invoke();
        commit();
        Health.Reset();
        _fallback = fallback == 1;
    }

    /// <summary>Writes the learner's own adaptation state (rows name classes by index into the current label order).</summary>
    protected abstract void WritePayload(BinaryWriter writer);

    /// <summary>
    /// Parses and checks the learner's payload without changing any state, and returns the action that applies it.
    /// <paramref name="classMap"/> maps a saved class index to the current one, or −1 for a class no longer known.
    /// </summary>
    /// <exception cref="StateFormatException">The payload is malformed.</exception>
    protected abstract Action ReadPayload(ref SpanReader reader, int[] classMap);

    /// <summary>Writes a count-prefixed UTF-8 string (u16 bytes).</summary>
    protected static void WriteString(BinaryWriter writer, string text)
    {
        ArgumentNullException.ThrowIfNull(writer);
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        writer.Write((ushort)bytes.Length);
        writer.Write(bytes);
    }

    /// <summary>Reads a string written by <see cref="WriteString"/>.</summary>
    protected static string ReadString(ref SpanReader reader) => reader.Utf8("Adaptation checkpoint");

    /// <summary>Writes floats as raw little-endian f32.</summary>
    protected static void WriteFloats(BinaryWriter writer, ReadOnlySpan<float> values)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(MemoryMarshal.AsBytes(values));
    }

    /// <summary>Reads <paramref name="count"/> finite floats.</summary>
    /// <exception cref="StateFormatException">Truncated or a non-finite value.</exception>
    protected static float[] ReadFloats(ref SpanReader reader, int count)
    {
        if (count < 0 || count > reader.Remaining / 4)
            throw new StateFormatException($"Adaptation checkpoint is truncated: {count} floats declared, {reader.Remaining} bytes left.");
        ReadOnlySpan<byte> bytes = reader.Bytes(4 * count);
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
        if (!VectorKernels.AllFinite(values))
            throw new StateFormatException("Adaptation checkpoint holds a non-finite value; delete it and adapt again.");
        return values;
    }

    /// <summary>Reads a row count and checks that <paramref name="bytesPerRow"/> × count bytes can follow.</summary>
    protected static int ReadCount(ref SpanReader reader, int bytesPerRow, int max)
    {
        int count = reader.I32();
        if (count < 0 || count > max || (long)count * bytesPerRow > reader.Remaining)
            throw new StateFormatException($"Adaptation checkpoint declares {count} rows, more than allowed or than its bytes hold; delete it and adapt again.");
        return count;
    }
}
