using EdgeCL.Core.Evaluation;
using EdgeCL.Core.Learning;
using EdgeCL.Eval.Embedding;

namespace EdgeCL.Eval.Tests.Embedding;

public sealed class BatchedEmbeddingTests
{
    [Fact]
    public void Run_Batch8_EmbeddingsEqualBatch1UnderEveryShift()
    {
        using var t = new TestData();
        t.TinyBackbone();
        EvalSettings Settings(int batch) => new()
        {
            Data = t.ImageDataset(perClass: 6), Backbone = "tiny", ModelsRoot = t.Models, Shifts = "clean,gaussian_noise:5,fog:3",
            Shots = 2, Holdout = 0.3, Draws = 1, OutputDirectory = t.Path_($"out{batch}"), EvaluateEvery = 0, Methods = ["ncm"], Batch = batch,
        };
        using EvalPlan one = EvalRunner.Plan(Settings(1), LearnerRegistry.CreateDefault(), EmbeddingAdapterRegistry.CreateDefault());
        using EvalPlan eight = EvalRunner.Plan(Settings(8), LearnerRegistry.CreateDefault(), EmbeddingAdapterRegistry.CreateDefault());
        Assert.Equal(1, one.Cache.Batch);
        Assert.Equal(8, eight.Cache.Batch);
        Assert.True(EvalRunner.Run(one).Completed);
        Assert.True(EvalRunner.Run(eight).Completed);
        var pairs = one.Streams.SelectMany(s => s.Samples).Select(s => (s.Item, s.Domain)).Distinct().ToList();
        Assert.True(pairs.Count > 8);
        Assert.Equal(pairs.Count, eight.Cache.Computed);
        foreach ((int item, int domain) in pairs)
        {
            Assert.True(eight.Cache.Contains(item, domain));
            float[] a = one.Cache.Get(item, domain), b = eight.Cache.Get(item, domain);
            Assert.Equal(a.Length, b.Length);
            for (int i = 0; i < a.Length; i++)
                Assert.True(Math.Abs(a[i] - b[i]) <= 1e-5f, $"item {item}, domain {domain}, [{i}]: {a[i]} vs {b[i]}");
        }
    }

    [Fact]
    public void Plan_BatchOutOfRange_OneLine()
    {
        using var t = new TestData();
        t.TinyBackbone();
        var settings = new EvalSettings { Data = t.ImageDataset(perClass: 6), Backbone = "tiny", ModelsRoot = t.Models, Batch = 100_000, OutputDirectory = t.Path_("out") };
        var ex = Assert.Throws<ArgumentException>(() => EvalRunner.Plan(settings, LearnerRegistry.CreateDefault(), EmbeddingAdapterRegistry.CreateDefault()));
        Assert.StartsWith("--batch 100000 is out of range", ex.Message, StringComparison.Ordinal);
    }
}
