using EdgeCL.Core.Learning;
using EdgeCL.Core.Learning.Adaptation;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Tests.Learning.Adaptation;

/// <summary>The class-balanced test centre (issue 11): label-correlated order must not drag the running mean onto one class.</summary>
public class BalancedCentreTests
{
    private const int Dimension = 16;
    private const int Classes = 6;
    private static readonly EmbeddingSpace Space = new("ba1a", Dimension);

    private static double[] Online(int seed, int run, params string[] balance)
    {
        var rng = new Random(seed);
        float[][] means = Enumerable.Range(0, Classes).Select(_ => TestVectors.Random(rng, Dimension)).ToArray();
        float[] common = TestVectors.Random(rng, Dimension, 0.5f, 3f), shift = TestVectors.Random(rng, Dimension, 1.5f);
        float[] Sample(int c, bool shifted, float noise) =>
            Enumerable.Range(0, Dimension).Select(j => common[j] + means[c][j] + (shifted ? shift[j] : 0f) + noise * (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var support = Enumerable.Range(0, Classes * 5).Select(i => Sample(i / 5, false, 0.3f)).ToArray();
        var learners = new List<IStreamLearner> { LearnerRegistry.CreateDefault().Create("ncm-centred", Space) };
        foreach (string b in balance)
            learners.Add(LearnerRegistry.CreateDefault().Create(TestCentredNcmLearner.MethodName, Space,
                new LearnerOptions { Parameters = new Dictionary<string, string> { ["ncm-test-centred.balance"] = b } }));
        foreach (IStreamLearner l in learners)
            for (int i = 0; i < support.Length; i++)
                l.Learn("c" + (i / 5), support[i]);
        var correct = new int[learners.Count];
        const int Steps = 1200;
        for (int i = 0; i < Steps; i++)
        {
            int c = run == 1 ? rng.Next(Classes) : (i / run * 5 + seed) % Classes;
            float[] x = Sample(c, shifted: true, 0.9f);
            for (int l = 0; l < learners.Count; l++)
                if (learners[l].Observe(x).Label == "c" + c)
                    correct[l]++;
        }
        return correct.Select(n => n / (double)Steps).ToArray();
    }

    [Fact]
    public void Observe_RunsOfOneClass_BalancedCentreKeepsTheGainPlainCentreLosesIt()
    {
        double plain = 0, balanced = 0, auto = 0, head = 0;
        for (int seed = 1; seed <= 3; seed++)
        {
            double[] a = Online(seed, 60, "0", "1", "2");
            head += a[0] / 3;
            plain += a[1] / 3;
            balanced += a[2] / 3;
            auto += a[3] / 3;
        }
        string all = $"static {head:0.000}, plain {plain:0.000}, balanced {balanced:0.000}, auto {auto:0.000}";
        Assert.True(balanced > plain + 0.05, all);
        Assert.True(auto > plain + 0.05, all);
        Assert.True(auto >= head - 0.01, all);
    }

    [Fact]
    public void Observe_ShuffledOrder_AutoBalanceStaysCloseToThePlainCentre()
    {
        double plain = 0, auto = 0;
        for (int seed = 1; seed <= 3; seed++)
        {
            double[] a = Online(seed, 1, "0", "2");
            plain += a[1] / 3;
            auto += a[2] / 3;
        }
        Assert.True(auto >= plain - 0.01, $"plain {plain:0.000}, auto {auto:0.000}");
    }

    [Fact]
    public void LabelAutocorrelation_ShuffledNearZero_RunsNearOne()
    {
        var shuffled = new LabelAutocorrelation();
        var runs = new LabelAutocorrelation();
        var rng = new Random(2);
        for (int i = 0; i < 600; i++)
        {
            shuffled.Record(rng.Next(10), 10);
            runs.Record(i / 20 % 10, 10);
        }
        Assert.InRange(shuffled.Strength, 0, 0.2);
        Assert.InRange(runs.Strength, 0.9, 1);
    }
}
