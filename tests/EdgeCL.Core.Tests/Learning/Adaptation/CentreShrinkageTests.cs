using EdgeCL.Core.Learning;
using EdgeCL.Core.Learning.Adaptation;
using EdgeCL.Core.Vectors;
using Xunit.Abstractions;

namespace EdgeCL.Core.Tests.Learning.Adaptation;

/// <summary>The test centre shrunk toward the labelled mean by its own noise (issue 11): a condition that barely moves
/// the embeddings keeps the static head, one that moves them far keeps the running mean.</summary>
public class CentreShrinkageTests(ITestOutputHelper output)
{
    private const int Dimension = SyntheticShiftStream.Dimension;
    private static readonly EmbeddingSpace Space = new("5a41", Dimension);

    private static float[] Noisy(Random rng, float[] centre, float spread) =>
        centre.Select(v => v + spread * (float)(rng.NextDouble() * 2 - 1)).ToArray();

    // Uniform noise in [−1, 1] per coordinate: E‖x − μ‖² = d/3.
    [Fact]
    public void EstimateVariance_IsTheMeanSquaredDistanceTimesTheSquaredWeights()
    {
        var rng = new Random(3);
        var centre = new TestStreamCentre(Dimension, warmUp: 10, decay: 0.01f, clipFactor: 0);
        float[] mu = TestVectors.Random(rng, Dimension, 1f, 2f);
        Assert.Equal(0, centre.EstimateVariance);
        double spread = Dimension / 3.0;
        for (int i = 0; i < 50; i++)
            centre.Update(Noisy(rng, mu, 1f));
        // Exact mean: Σw² = 1/n.
        Assert.InRange(centre.EstimateVariance * 50 / spread, 0.75, 1.3);
        for (int i = 0; i < 3000; i++)
            centre.Update(Noisy(rng, mu, 1f));
        // EMA at rate r: Σw² → r/(2 − r).
        Assert.InRange(centre.EstimateVariance / (spread * 0.01 / 1.99), 0.75, 1.3);
        centre.Restore(centre.Mean, 500, Math.Sqrt(spread));
        Assert.InRange(centre.EstimateVariance / (spread * 0.01 / 1.99), 0.99, 1.01);
        centre.Reset();
        Assert.Equal(0, centre.EstimateVariance);
    }

    [Theory]
    [InlineData(0f, 0.0, 0.35)]
    [InlineData(3f, 0.9, 1.0)]
    public void QueryCentre_FollowsTheStreamOnlyAsFarAsItsNoiseAllows(float shift, double low, double high)
    {
        var rng = new Random(7);
        float[][] means = Enumerable.Range(0, 4).Select(_ => TestVectors.Random(rng, Dimension, 1f, 2f)).ToArray();
        float[] offset = TestVectors.Random(rng, Dimension, shift);
        var centring = new FeatureCentring(Space, LearnerOptions.Default, new TestStreamCentre(Dimension), shrink: 2, shrinkCorrelation: 10);
        for (int i = 0; i < 40; i++)
            centring.Learn("c" + (i % 4), Noisy(rng, means[i % 4], 1f));
        double weights = 0;
        for (int i = 0; i < 400; i++)
        {
            float[] x = Noisy(rng, means[rng.Next(4)], 1f);
            for (int j = 0; j < Dimension; j++)
                x[j] += offset[j];
            centring.Observe(x);
            _ = centring.QueryCentre;
            if (i >= 200)
                weights += centring.CentreWeight / 200;
        }
        output.WriteLine($"shift {shift}: mean weight {weights:0.000}");
        Assert.InRange(weights, low, high);
        // The query centre lies on the segment from the labelled mean to the running mean, at that weight.
        ReadOnlySpan<float> q = centring.QueryCentre, m = centring.Static.Centre, c = centring.TestCentre!.Mean;
        for (int j = 0; j < Dimension; j++)
            Assert.Equal(m[j] + (float)centring.CentreWeight * (c[j] - m[j]), q[j], 4);
    }

    [Fact]
    public void Shrink_Off_QueriesAreCentredByTheRunningMeanItself()
    {
        var rng = new Random(9);
        var centring = new FeatureCentring(Space, LearnerOptions.Default, new TestStreamCentre(Dimension), shrink: 0);
        centring.Learn("a", TestVectors.Random(rng, Dimension));
        centring.Learn("b", TestVectors.Random(rng, Dimension));
        for (int i = 0; i < 20; i++)
            centring.Observe(TestVectors.Random(rng, Dimension));
        Assert.True(centring.QueryCentre.SequenceEqual(centring.TestCentre!.Mean));
        Assert.Equal(1, centring.CentreWeight);
    }

    /// <summary>Online accuracy of static <c>ncm-centred</c>, the unshrunk running mean and the shrunk one, averaged over seeds.</summary>
    private (double Static, double Plain, double Shrunk) Accuracy(int seeds, int run, float shift, float noise)
    {
        double[] sum = new double[3];
        for (int seed = 1; seed <= seeds; seed++)
        {
            double[] a = SyntheticShiftStream.Online(Space, seed, run, shift, noise, 1f, new Dictionary<string, string> { ["ncm-test-centred.shrink"] = "0" }, []);
            for (int i = 0; i < 3; i++)
                sum[i] += a[i] / seeds;
        }
        output.WriteLine($"runs of {run}, shift {shift}: static {sum[0]:0.000}, running mean {sum[1]:0.000}, shrunk {sum[2]:0.000}");
        return (sum[0], sum[1], sum[2]);
    }

    // Runs of one class and no shift at all: every move of the running mean is its own noise. The shrunk centre
    // answers like the static head; the unshrunk one pays for the noise.
    [Fact]
    public void Observe_RunsWithoutAShift_ShrunkCentreKeepsTheStaticHeadsAccuracy()
    {
        (double staticHead, double plain, double shrunk) = Accuracy(4, 40, 0f, 1.2f);
        Assert.True(shrunk >= staticHead - 0.005 && shrunk > plain, $"static {staticHead:0.000}, running mean {plain:0.000}, shrunk {shrunk:0.000}");
    }

    // A real offset, shuffled: shrinkage must keep (nearly all of) the running mean's gain.
    [Fact]
    public void Observe_LargeOffset_ShrunkCentreKeepsTheGain()
    {
        (double staticHead, double plain, double shrunk) = Accuracy(3, 1, 2.5f, 0.9f);
        Assert.True(plain > staticHead + 0.05 && shrunk >= plain - 0.01, $"static {staticHead:0.000}, running mean {plain:0.000}, shrunk {shrunk:0.000}");
    }

    [Theory]
    [InlineData("shrink", "-1")]
    [InlineData("shrink-correlation", "NaN")]
    [InlineData("shrink", "1001")]
    public void Parameters_OutOfRange_OneLineError(string key, string value)
    {
        var bad = new LearnerOptions { Parameters = new Dictionary<string, string> { ["ncm-test-centred." + key] = value } };
        var e = Assert.ThrowsAny<ArgumentException>(() => LearnerRegistry.CreateDefault().Create(TestCentredNcmLearner.MethodName, Space, bad));
        Assert.Contains(key, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
