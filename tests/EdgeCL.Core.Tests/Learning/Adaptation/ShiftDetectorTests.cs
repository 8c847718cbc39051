using EdgeCL.Core.Learning;
using EdgeCL.Core.Learning.Adaptation;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Tests.Learning.Adaptation;

public class ShiftDetectorTests
{
    /// <summary>The norm of a 16-d Gaussian vector: a skewed, strictly positive statistic like a distance to a centre.</summary>
    private static double Distance(Random rng, double scale = 1, double offset = 0)
    {
        double sum = 0;
        for (int j = 0; j < 16; j++)
        {
            double g = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
            sum += g * g;
        }
        return offset + scale * Math.Sqrt(sum);
    }

    [Fact]
    public void Update_StationaryStream_FalseAlarmRateBelowOneInTwoThousand()
    {
        int alarms = 0;
        const int Samples = 20_000;
        for (int seed = 0; seed < 5; seed++)
        {
            var rng = new Random(seed);
            var detector = new ShiftDetector();
            for (int i = 0; i < Samples; i++)
                if (detector.Update(Distance(rng)))
                    alarms++;
        }
        // 100,000 stationary samples: the default (h = 8, k = 0.5) must stay under 5e-4 alarms per sample.
        Assert.InRange(alarms, 0, 50);
    }

    [Theory]
    [InlineData(1.5)]
    [InlineData(0.6)]
    public void Update_MeanShiftUpOrDown_DetectedWithinTwentySamples(double scale)
    {
        int before = 0;
        for (int seed = 0; seed < 10; seed++)
        {
            var rng = new Random(100 + seed);
            var detector = new ShiftDetector();
            for (int i = 0; i < 400; i++)
                detector.Update(Distance(rng));
            before += detector.Alarms;
            int found = -1;
            for (int i = 0; i < 200 && found < 0; i++)
                if (detector.Update(Distance(rng, scale)))
                    found = i;
            Assert.InRange(found, 0, 20);
        }
        Assert.InRange(before, 0, 3); // 4,000 stationary samples: at most a few false alarms
    }

    [Fact]
    public void Update_BeforeBaseline_NeverAlarms_AndRestartRelearns()
    {
        var detector = new ShiftDetector(baseline: 30);
        for (int i = 0; i < 29; i++)
            Assert.False(detector.Update(i % 2 == 0 ? 1 : 1000));
        Assert.False(detector.IsArmed);
        Assert.False(detector.Update(double.NaN));
        detector.Update(1);
        Assert.True(detector.IsArmed);
        detector.Restart();
        Assert.False(detector.IsArmed);
    }

    [Theory]
    [InlineData(0, 0.5, 30)]
    [InlineData(8, -1, 30)]
    [InlineData(8, 0.5, 1)]
    [InlineData(double.NaN, 0.5, 30)]
    public void Constructor_OutOfRange_OneLineError(double h, double k, int baseline)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new ShiftDetector(h, k, baseline));
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void TestStreamCentre_WithDetector_DropsTheOldMeanAfterAShift()
    {
        const int D = 16;
        var rng = new Random(5);
        float[] a = TestVectors.Random(rng, D, 1f), b = TestVectors.Random(rng, D, 1f, 2f);
        float[] Sample(float[] mean)
        {
            var v = new float[D];
            for (int j = 0; j < D; j++)
                v[j] = mean[j] + 0.3f * (float)(rng.NextDouble() * 2 - 1);
            return v;
        }
        var plain = new TestStreamCentre(D);
        var detecting = new TestStreamCentre(D, detector: new ShiftDetector());
        for (int i = 0; i < 300; i++)
        {
            float[] x = Sample(a);
            plain.Update(x);
            detecting.Update(x);
        }
        Assert.Equal(0, detecting.Detections);
        for (int i = 0; i < 60; i++)
        {
            float[] x = Sample(b);
            plain.Update(x);
            detecting.Update(x);
        }
        Assert.Equal(1, detecting.Detections);
        float plainError = VectorKernels.Norm(Diff(plain.Mean, b)), detectedError = VectorKernels.Norm(Diff(detecting.Mean, b));
        // The EMA (rate 0.01) still carries about half of the old mean; the re-warmed one is within noise of the new.
        Assert.True(detectedError < 0.25f * plainError, $"detected {detectedError}, plain {plainError}");
    }

    [Fact]
    public void Registry_DetectParameters_AreReadAndValidated()
    {
        var registry = LearnerRegistry.CreateDefault();
        var space = new EmbeddingSpace("5d5d", 8);
        var on = (TestCentredNcmLearner)registry.Create(TestCentredNcmLearner.MethodName, space);
        Assert.NotNull(on.Centre.Detector);
        var off = (TestCentredNcmLearner)registry.Create(TestCentredNcmLearner.MethodName, space,
            new LearnerOptions { Parameters = new Dictionary<string, string> { ["ncm-test-centred.detect"] = "0" } });
        Assert.Null(off.Centre.Detector);
        var e = Assert.Throws<ArgumentException>(() => registry.Create(TestCentredNcmLearner.MethodName, space,
            new LearnerOptions { Parameters = new Dictionary<string, string> { ["ncm-test-centred.detect-threshold"] = "0" } }));
        Assert.Contains("detect-threshold", e.Message);
    }

    [Fact]
    public void Checkpoint_DetectorStateRoundTrips_AndRestoresIntoALearnerWithDetectionOff()
    {
        var space = new EmbeddingSpace("5d5e", 8);
        var registry = LearnerRegistry.CreateDefault();
        var rng = new Random(9);
        float[][] means = Enumerable.Range(0, 3).Select(_ => TestVectors.Random(rng, 8, 1f)).ToArray();
        float[] shift = TestVectors.Random(rng, 8, 1f, 3f);
        float[] Sample(int c, bool shifted) => Enumerable.Range(0, 8).Select(j => means[c][j] + (shifted ? shift[j] : 0f) + 0.2f * (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float[][] support = Enumerable.Range(0, 9).Select(i => Sample(i / 3, false)).ToArray();
        var learner = (TestCentredNcmLearner)registry.Create(TestCentredNcmLearner.MethodName, space);
        for (int i = 0; i < support.Length; i++)
            learner.Learn("c" + (i / 3), support[i]);
        for (int i = 0; i < 200; i++)
            learner.Observe(Sample(i % 3, i >= 100));
        Assert.True(learner.ShiftDetections >= 1);
        byte[] saved = learner.SaveAdaptation();
        var copy = (TestCentredNcmLearner)registry.Create(TestCentredNcmLearner.MethodName, space);
        var off = (TestCentredNcmLearner)registry.Create(TestCentredNcmLearner.MethodName, space,
            new LearnerOptions { Parameters = new Dictionary<string, string> { ["ncm-test-centred.detect"] = "0" } });
        foreach (var l in new[] { copy, off })
            for (int i = 0; i < support.Length; i++)
                l.Learn("c" + (i / 3), support[i]);
        copy.RestoreAdaptation(saved);
        off.RestoreAdaptation(saved);
        Assert.Equal(learner.ShiftDetections, copy.ShiftDetections);
        Assert.Equal(learner.Centre.Detector!.Score, copy.Centre.Detector!.Score);
        Assert.Equal(0, off.ShiftDetections);
        // The restored copy continues exactly like the original.
        for (int i = 0; i < 50; i++)
        {
            float[] x = Sample(i % 3, true);
            Assert.Equal(learner.Observe(x), copy.Observe(x));
        }
    }

    private static float[] Diff(ReadOnlySpan<float> x, float[] y)
    {
        var d = new float[y.Length];
        for (int j = 0; j < y.Length; j++)
            d[j] = x[j] - y[j];
        return d;
    }
}
