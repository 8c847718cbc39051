using EdgeCL.Core.Learning;
using EdgeCL.Core.Learning.Adaptation;
using EdgeCL.Core.Vectors;
using Xunit.Abstractions;

namespace EdgeCL.Core.Tests.Learning.Adaptation;

/// <summary>Label-correlated order under a hard shift (issue 11): the test centre must not lock onto its own mistakes.</summary>
public class CorrelatedOrderTests(ITestOutputHelper output)
{
    private const int Dimension = SyntheticShiftStream.Dimension;
    private const int Classes = SyntheticShiftStream.Classes;
    private static readonly EmbeddingSpace Space = new("c0ee", Dimension);

    private static double[] Online(int seed, int run, float shiftScale, float noise, float classScale, params Dictionary<string, string>[] variants) =>
        SyntheticShiftStream.Online(Space, seed, run, shiftScale, noise, classScale, variants);

    private static Dictionary<string, string> Params(string head, string detectCorrelation = "1") => new()
    {
        ["ncm-test-centred.balance-head"] = head,
        ["ncm-test-centred.detect-correlation"] = detectCorrelation,
    };

    // A blur-like shift (MNIST-C glass blur, fog): the class signal shrinks to 30 % while the whole cloud moves, so
    // the adapted head is weak and a run of one class read as another drags the centre onto the wrong class.
    [Fact]
    public void Observe_RunsUnderAHardShift_StaticHeadLabelsDoNotLockOntoTheirOwnMistakes()
    {
        double adapted = 0, fixedHead = 0;
        for (int seed = 1; seed <= 4; seed++)
        {
            double[] a = Online(seed, 60, 1f, 0.3f, 0.3f, Params("1"), Params("0"));
            adapted += a[1] / 4;
            fixedHead += a[2] / 4;
        }
        output.WriteLine($"adapted-head labels {adapted:0.000}, static-head labels {fixedHead:0.000}");
        Assert.True(fixedHead > adapted + 0.03, $"adapted-head labels {adapted:0.000}, static-head labels {fixedHead:0.000}");
    }

    [Fact]
    public void Observe_ShuffledOrder_StaticHeadLabelsLoseNothing()
    {
        foreach ((float shift, float noise, float scale) in new[] { (2.5f, 0.9f, 1f), (1f, 0.3f, 0.3f) })
        {
            double adapted = 0, fixedHead = 0;
            for (int seed = 1; seed <= 3; seed++)
            {
                double[] a = Online(seed, 1, shift, noise, scale, Params("1"), Params("0"));
                adapted += a[1] / 3;
                fixedHead += a[2] / 3;
            }
            Assert.True(fixedHead >= adapted - 0.01, $"shift {shift}: adapted-head labels {adapted:0.000}, static-head labels {fixedHead:0.000}");
        }
    }

    // No shift at all, only runs of one class: every detection is false. The class runs move the sample distances,
    // and the threshold raised by the measured autocorrelation must keep them from reading as shifts.
    [Fact]
    public void Observe_RunsWithoutAShift_CorrelationRaisedThresholdCutsFalseDetections()
    {
        int fixedThreshold = 0, raised = 0;
        for (int seed = 1; seed <= 3; seed++)
        {
            var rng = new Random(seed);
            float[][] means = Enumerable.Range(0, Classes).Select(_ => TestVectors.Random(rng, Dimension)).ToArray();
            // Classes of different spread: the distance statistic steps at every change of run.
            float[] Sample(int c) => Enumerable.Range(0, Dimension).Select(j => 3f + means[c][j] + (0.3f + 0.06f * c) * (float)(rng.NextDouble() * 2 - 1)).ToArray();
            var learners = new[] { Params("0", "0"), Params("0", "1") }
                .Select(p => (TestCentredNcmLearner)LearnerRegistry.CreateDefault().Create(TestCentredNcmLearner.MethodName, Space, new LearnerOptions { Parameters = p })).ToArray();
            foreach (TestCentredNcmLearner l in learners)
                for (int i = 0; i < Classes * 5; i++)
                    l.Learn("c" + (i / 5), Sample(i / 5));
            for (int i = 0; i < 3000; i++)
            {
                float[] x = Sample((i / 40 * 5 + seed) % Classes);
                foreach (TestCentredNcmLearner l in learners)
                    l.Observe(x);
            }
            fixedThreshold += learners[0].Centre.Detections;
            raised += learners[1].Centre.Detections;
        }
        output.WriteLine($"false detections: fixed threshold {fixedThreshold}, raised {raised}");
        Assert.True(raised <= 0.8 * fixedThreshold && fixedThreshold > 0, $"false detections: fixed threshold {fixedThreshold}, raised {raised}");
    }

    [Fact]
    public void ShiftDetector_ThresholdScale_RaisesTheAlarmLevelForThatSample()
    {
        var plain = new ShiftDetector(threshold: 4, drift: 0, baseline: 10);
        var scaled = new ShiftDetector(threshold: 4, drift: 0, baseline: 10);
        var rng = new Random(5);
        for (int i = 0; i < 10; i++)
        {
            double v = 1 + 0.1 * (rng.NextDouble() * 2 - 1);
            plain.Update(v);
            scaled.Update(v, 3);
        }
        int plainAt = -1, scaledAt = -1;
        for (int i = 0; i < 100 && (plainAt < 0 || scaledAt < 0); i++)
        {
            if (plainAt < 0 && plain.Update(1.2))
                plainAt = i;
            if (scaledAt < 0 && scaled.Update(1.2, 3))
                scaledAt = i;
        }
        Assert.True(plainAt >= 0 && scaledAt > plainAt, $"alarm at {plainAt} (scale 1) and {scaledAt} (scale 3)");
        Assert.False(new ShiftDetector().Update(1, double.NaN));
    }

    [Fact]
    public void Parameters_OutOfRange_OneLineError()
    {
        var bad = new LearnerOptions { Parameters = new Dictionary<string, string> { ["ncm-test-centred.detect-correlation"] = "-1" } };
        var e = Assert.ThrowsAny<ArgumentException>(() => LearnerRegistry.CreateDefault().Create(TestCentredNcmLearner.MethodName, Space, bad));
        Assert.Contains("detect-correlation", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        bad = new LearnerOptions { Parameters = new Dictionary<string, string> { ["ncm-test-centred.balance-head"] = "2" } };
        Assert.Contains("balance-head", Assert.ThrowsAny<ArgumentException>(() => LearnerRegistry.CreateDefault().Create(TestCentredNcmLearner.MethodName, Space, bad)).Message);
    }
}
