using EdgeCL.Core.Learning;
using EdgeCL.Core.Learning.Adaptation;
using EdgeCL.Core.Learning.OpenSet;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Tests.Learning.OpenSet;

/// <summary>Open-set verdicts: the threshold, the background class, reserved labels, and adaptation that never absorbs a rejected sample.</summary>
public sealed class OpenSetTests
{
    private const int D = 16;
    private static readonly EmbeddingSpace Space = new("0123456789abcdef", D);

    // Three well-separated classes around one shared offset (so CL2N centring has something to remove).
    private static (LearnerOptions Options, float[][] Means) Setup(float threshold = 0.4f)
    {
        var rng = new Random(7);
        float[][] means = Enumerable.Range(0, 3).Select(c => { var v = new float[D]; v[c] = 4f; v[D - 1] = 10f; return v; }).ToArray();
        return (new LearnerOptions { OpenSet = new OpenSetOptions { Threshold = threshold } }, means);
    }

    private static float[] Near(float[] mean, Random rng, float noise = 0.3f) => mean.Select(x => x + noise * (float)(rng.NextDouble() * 2 - 1)).ToArray();

    [Theory]
    [InlineData("ncm-centred")]
    [InlineData("ncm-test-centred")]
    [InlineData("adanpc")]
    [InlineData("t3a")]
    [InlineData("knn")]
    public void FarSamplesAreUnknownAndTaughtOnesAccepted(string method)
    {
        (LearnerOptions options, float[][] means) = Setup();
        IStreamLearner learner = LearnerRegistry.CreateDefault().Create(method, Space, options);
        var rng = new Random(1);
        string[] labels = ["a", "b", "c"];
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 8; i++)
                learner.Learn(labels[c], Near(means[c], rng));
        Prediction known = learner.Predict(Near(means[1], rng));
        Assert.True(known.Accepted, $"{method}: a taught sample was rejected (gate {known.GateScore})");
        Assert.Equal("b", known.Label);
        Assert.Equal(0.4f, known.Threshold);
        // Equidistant from every class: cosine near 0 after centring.
        var far = new float[D];
        far[D - 1] = 10f;
        far[5] = 4f;
        Prediction unknown = learner.Predict(far);
        Assert.True(unknown.Rejected, $"{method}: an untaught sample was accepted (gate {unknown.GateScore})");
        Assert.False(unknown.Accepted);
    }

    [Fact]
    public void BackgroundClassWinningIsUnknownAndClosedSetIsUnchanged()
    {
        (LearnerOptions options, float[][] means) = Setup(threshold: -1f);
        var learner = new NcmLearner(Space, CentringMode.LabelledMean, options);
        var closed = new NcmLearner(Space, CentringMode.LabelledMean);
        var rng = new Random(2);
        foreach (var l in new[] { learner, closed })
        {
            l.Learn("a", Near(means[0], rng));
            l.Learn(ReservedLabels.Background, Near(means[2], rng));
        }
        Prediction p = learner.Predict(Near(means[2], rng));
        Assert.Equal(ReservedLabels.Background, p.Label);
        Assert.True(p.Rejected);
        Prediction c = closed.Predict(Near(means[2], rng));
        Assert.False(c.Rejected);
        Assert.True(float.IsNaN(c.Threshold));
    }

    [Theory]
    [InlineData("unknown")]
    [InlineData("Unknown")]
    [InlineData("_noise")]
    [InlineData("_background:")]
    [InlineData("_background:_x")]
    [InlineData("_background:unknown")]
    [InlineData("_backgroundx")]
    public void ReservedLabelsAreRefusedAndLeaveTheMemoryUnchanged(string label)
    {
        var memory = new PrototypeMemory(Space);
        memory.Add("a", new float[D]);
        var e = Assert.Throws<ArgumentException>(() => memory.Add(label, new float[D]));
        Assert.Matches("reserved|names no class", e.Message);
        Assert.Equal(1, memory.ClassCount);
        memory.Add(ReservedLabels.Background, new float[D]); // the reserved names that are classes
        memory.Add(ReservedLabels.BackgroundFor("a"), new float[D]);
        Assert.Equal(3, memory.ClassCount);
    }

    [Theory]
    [InlineData("_background", true)]
    [InlineData("_background:four", true)]
    [InlineData("_backgrounds", false)]
    [InlineData("four", false)]
    [InlineData("background", false)]
    public void BackgroundLabelsAreRecognised(string label, bool background)
    {
        Assert.Equal(background, ReservedLabels.IsBackground(label));
        Assert.Equal(background ? label : "_background:" + label, ReservedLabels.BackgroundFor(label));
    }

    [Theory]
    [InlineData("ncm-centred")]
    [InlineData("ncm-test-centred")]
    [InlineData("knn")]
    public void A_corrected_false_alarm_is_unknown_while_its_class_stays_accepted(string method)
    {
        // "a" and a lookalike of it ("forty" for "four") that the gate alone accepts as "a".
        (LearnerOptions options, float[][] means) = Setup();
        IStreamLearner learner = LearnerRegistry.CreateDefault().Create(method, Space, options);
        var rng = new Random(3);
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 8; i++)
                learner.Learn(((char)('a' + c)).ToString(), Near(means[c], rng));
        float[] lookalike = means[0].ToArray();
        lookalike[6] = 3f;
        Prediction before = learner.Predict(Near(lookalike, rng, 0.1f));
        Assert.True(before.Accepted && before.Label == "a", $"{method}: the lookalike should be a false alarm of 'a' first (gate {before.GateScore})");
        for (int i = 0; i < 3; i++)
            learner.Learn(ReservedLabels.BackgroundFor(before.Label), Near(lookalike, rng, 0.1f));
        Prediction after = learner.Predict(Near(lookalike, rng, 0.1f));
        Assert.True(after.Rejected, $"{method}: a corrected lookalike was still accepted as {after.Label}");
        Assert.Equal("_background:a", after.Label);
        Prediction taught = learner.Predict(Near(means[0], rng));
        Assert.True(taught.Accepted && taught.Label == "a", $"{method}: the corrected class itself is no longer accepted");
    }

    [Fact]
    public void BackgroundExamplesDoNotMoveTheLabelledCentre()
    {
        (_, float[][] means) = Setup();
        var rng = new Random(5);
        var memory = new PrototypeMemory(Space);
        for (int i = 0; i < 4; i++)
        {
            memory.Add("a", Near(means[0], rng));
            memory.Add("b", Near(means[1], rng));
        }
        float[] before = memory.Centre.ToArray();
        for (int i = 0; i < 20; i++)
            memory.Add(ReservedLabels.Background, Near(means[2], rng, noise: 3f));
        memory.Add(ReservedLabels.BackgroundFor("a"), Near(means[2], rng, noise: 3f));
        Assert.Equal(before, memory.Centre.ToArray());
        Assert.Equal(29, memory.TotalCount);
        // Rebuilt from (count, mean) as the fleet view is, and after a forget: the same centre (exact recomputation).
        var restored = new PrototypeMemory(Space);
        for (int c = 0; c < memory.ClassCount; c++)
            restored.Restore(memory.LabelAt(c), memory.SummaryAt(c).Count, memory.SummaryAt(c).Version, memory.MeanAt(c));
        for (int j = 0; j < D; j++)
            Assert.Equal(before[j], restored.Centre[j], 4);
        memory.Forget("b");
        memory.Forget(ReservedLabels.Background);
        memory.Forget(ReservedLabels.BackgroundFor("a"));
        var onlyA = new PrototypeMemory(Space);
        onlyA.Restore("a", memory.SummaryAt(0).Count, 1, memory.MeanAt(0));
        for (int j = 0; j < D; j++)
            Assert.Equal(onlyA.Centre[j], memory.Centre[j], 4);
    }

    [Theory]
    [InlineData(1.5f)]
    [InlineData(-2f)]
    [InlineData(float.NaN)]
    public void ThresholdOutOfRangeIsOneLine(float threshold)
    {
        var e = Assert.Throws<ArgumentException>(() => new LearnerOptions { OpenSet = new OpenSetOptions { Threshold = threshold } }.Validate());
        Assert.DoesNotContain('\n', e.Message);
        Assert.Throws<ArgumentException>(() => OpenSetOptions.Parse("abc"));
    }

    [Fact]
    public void RejectedSamplesNeverEnterTheKnnMemory()
    {
        // AdaNPC with a permissive gate would absorb confident test rows; rejected ones must not count as rows.
        (LearnerOptions options, float[][] means) = Setup(threshold: 0.99f);
        var learner = new AdaNpcLearner(Space, options with { Parameters = new Dictionary<string, string> { ["adanpc.confidence"] = "0", ["adanpc.entropy-gate"] = "1" } });
        var rng = new Random(3);
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 4; i++)
                learner.Learn(((char)('a' + c)).ToString(), Near(means[c], rng));
        byte[] before = ((IAdaptationCheckpoint)learner).SaveAdaptation();
        for (int i = 0; i < 20; i++)
            Assert.True(learner.Observe(Near(means[i % 3], rng, noise: 2f)).Rejected);
        Assert.Equal(before.Length, ((IAdaptationCheckpoint)learner).SaveAdaptation().Length);
    }
}
