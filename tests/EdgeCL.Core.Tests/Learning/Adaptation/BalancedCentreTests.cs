using EdgeCL.Core.Learning;
using EdgeCL.Core.Learning.Adaptation;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Tests.Learning.Adaptation;

/// <summary>The class-balanced test centre (issue 11): label-correlated order must not drag the running mean onto one class.</summary>
public class BalancedCentreTests
{
    private static readonly EmbeddingSpace Space = new("ba1a", SyntheticShiftStream.Dimension);

    private static double[] Online(int seed, int run, params string[] balance) =>
        SyntheticShiftStream.Online(Space, seed, run, 1.5f, 0.9f, 1f,
            balance.Select(b => new Dictionary<string, string> { ["ncm-test-centred.balance"] = b }).ToArray());

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
