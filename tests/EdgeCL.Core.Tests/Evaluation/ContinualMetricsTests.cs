using EdgeCL.Core.Evaluation;

namespace EdgeCL.Core.Tests.Evaluation;

public class ContinualMetricsTests
{
    private const double N = double.NaN;

    // Three tasks, one set per task (τ_j = j). Rows: after task t; columns: set j.
    private static readonly double[][] R =
    [
        [0.90, N, N],
        [0.70, 0.80, N],
        [0.60, 0.85, 0.70],
    ];

    private static readonly int[] Tau = [0, 1, 2];

    [Fact]
    public void AverageAccuracy_ThreeTasks_IsMeanOfFinalRow()
    {
        Assert.Equal((0.60 + 0.85 + 0.70) / 3, ContinualMetrics.AverageAccuracy(R), 12);
    }

    [Fact]
    public void Forgetting_MaxMinusLast_NotFirstMinusLast()
    {
        // Set 0: max(0.90, 0.70) − 0.60 = 0.30; set 1: max(0.80) − 0.85 = −0.05 → mean 0.125.
        Assert.Equal((0.30 - 0.05) / 2, ContinualMetrics.Forgetting(R, Tau), 12);
        // Where the best accuracy came later than the first, max − last differs from Avalanche's first − last.
        double[][] r = [[0.5, N], [0.9, 0.8], [0.6, 0.8]];
        Assert.Equal((0.9 - 0.6 + 0.0) / 2, ContinualMetrics.Forgetting(r, [0, 1]), 12);
    }

    [Fact]
    public void BackwardTransfer_ThreeTasks_IsMeanOfLastMinusJustLearned()
    {
        // (0.60 − 0.90 + 0.85 − 0.80) / 2 = −0.125.
        Assert.Equal(-0.125, ContinualMetrics.BackwardTransfer(R, Tau), 12);
    }

    [Fact]
    public void Forgetting_SingleTask_IsUndefined()
    {
        Assert.True(double.IsNaN(ContinualMetrics.Forgetting([[0.9]], [0])));
        Assert.True(double.IsNaN(ContinualMetrics.BackwardTransfer([[0.9]], [0])));
    }

    [Fact]
    public void AverageIncrementalAccuracy_PooledPerTask_IsTheirMean()
    {
        Assert.Equal((0.9 + 0.75 + 0.7) / 3, ContinualMetrics.AverageIncrementalAccuracy([0.9, 0.75, 0.7]), 12);
    }

    [Fact]
    public void AverageMinAccuracy_DipAfterTraining_TakesEachSetsMinimum()
    {
        // Set 0 dips to 0.40 after its task, set 1 to 0.70; the current set has no evaluations after its task.
        Assert.Equal(0.55, ContinualMetrics.AverageMinAccuracy([[0.8, 0.4, 0.7], [0.9, 0.7], []]), 12);
    }

    [Fact]
    public void WorstCaseAccuracy_CurrentAndPreviousMins_WeightsOneOverK()
    {
        // k = 3: (1/3)·0.9 + (2/3)·mean(0.4, 0.7).
        Assert.Equal(0.9 / 3 + 2.0 / 3 * 0.55, ContinualMetrics.WorstCaseAccuracy(0.9, [0.4, 0.7]), 12);
        Assert.Equal(0.8, ContinualMetrics.WorstCaseAccuracy(0.8, []), 12);
    }

    [Fact]
    public void WindowedForgetting_DropWithinWindow_CountsOnlyInsideIt()
    {
        double[] series = [0.9, 0.85, 0.8, 0.75, 0.7, 0.95];
        // w = 2: neighbours only → largest drop 0.05; w = 5: 0.9 → 0.7 = 0.2; never dropping → 0.
        Assert.Equal(0.05, ContinualMetrics.WindowedForgetting(series, 2), 12);
        Assert.Equal(0.2, ContinualMetrics.WindowedForgetting(series, 5), 12);
        Assert.Equal(0, ContinualMetrics.WindowedForgetting([0.1, 0.2, 0.3], 10));
    }
}
