using EdgeCL.Core.Learning;
using EdgeCL.Eval.Embedding;
using EdgeCL.Eval.Reporting;

namespace EdgeCL.Eval.Tests.Embedding;

public sealed class BatchNormStatisticsSourceTests
{
    [Fact]
    public void CreateDefault_Registry_HasBnStats()
    {
        Assert.True(EmbeddingAdapterRegistry.CreateDefault().TryGet("bn-stats", out EmbeddingAdapterDescriptor d));
        Assert.Equal(BatchNormStatisticsSource.Name, d.Name);
    }

    [Fact]
    public void Run_BnStatsPlusNcmCentredOnTinyBackbone_CompletesWithOwnEmbeddings()
    {
        using var t = new TestData();
        t.TinyBackbone();
        var settings = new EvalSettings
        {
            Data = t.ImageDataset(perClass: 6), Backbone = "tiny", ModelsRoot = t.Models, Shifts = "clean,gaussian_noise:5,fog:3",
            Shots = 2, Holdout = 0.3, Draws = 1, OutputDirectory = t.Path_("out"), EvaluateEvery = 0,
            Methods = ["ncm-centred", "bn-stats+ncm-centred"],
        };
        using EvalPlan plan = EvalRunner.Plan(settings, LearnerRegistry.CreateDefault(), EmbeddingAdapterRegistry.CreateDefault());
        EvalReport report = EvalRunner.Run(plan);
        Assert.True(report.Completed);
        MethodReport bn = report.Methods["bn-stats+ncm-centred"], baseline = report.Methods["ncm-centred"];
        Assert.InRange(bn.OnlineAccuracy!.Value, 0, 1);
        Assert.Equal(baseline.OnlineError.Keys, bn.OnlineError.Keys);
    }
}
