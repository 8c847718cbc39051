using EdgeCL.Core.Evaluation;
using EdgeCL.Core.Learning;
using EdgeCL.Eval.Embedding;
using EdgeCL.Eval.Reporting;

namespace EdgeCL.Eval.Tests;

public class ContinualEvalTests
{
    private static EvalPlan Plan(EvalSettings s) => EvalRunner.Plan(s, LearnerRegistry.CreateDefault(), EmbeddingAdapterRegistry.CreateDefault());

    [Fact]
    public void Plan_ContinualWithOneCondition_OrBadCorrelation_OneLineErrorBeforeEmbedding()
    {
        using var t = new TestData();
        t.TinyBackbone();
        var s = new EvalSettings { Data = t.ImageDataset(perClass: 6), Backbone = "tiny", ModelsRoot = t.Models, Shifts = "gaussian_noise:5", Shots = 2, OutputDirectory = t.Path_("out") };
        var one = Assert.Throws<ArgumentException>(() => Plan(s with { Protocol = ProtocolKind.DomainShift }));
        Assert.Contains("--protocol continual needs at least two conditions", one.Message);
        var episodic = Assert.Throws<ArgumentException>(() => Plan(s with { Protocol = ProtocolKind.Episodic }));
        Assert.Contains("two conditions", episodic.Message);
        var correlation = Assert.Throws<ArgumentException>(() => Plan(s with { Shifts = "clean,fog:3", Correlation = -0.5 }));
        Assert.Contains("--correlation", correlation.Message);
        foreach (ArgumentException e in new[] { one, episodic, correlation })
            Assert.DoesNotContain('\n', e.Message);
        Assert.False(Directory.Exists(s.OutputDirectory));
        // Without --protocol a single condition still runs (taught, then streamed), as per-condition scripts do.
        using EvalPlan plan = Plan(s);
        Assert.Equal("continual", plan.Streams[0].Protocol);
    }

    [Fact]
    public void Run_CorrelatedContinualWithRounds_WritesPerRoundTableAndNewKeys()
    {
        using var t = new TestData();
        t.TinyBackbone();
        var settings = new EvalSettings
        {
            Data = t.ImageDataset(perClass: 8), Backbone = "tiny", ModelsRoot = t.Models, Shifts = "clean,gaussian_noise:5", Shots = 2,
            Holdout = 0, Rounds = 2, Correlation = 0.1, EvaluateEvery = 0, OutputDirectory = t.Path_("out"),
            Methods = ["ncm-centred", "ncm-test-centred", "lame-test-centred"],
        };
        using EvalPlan plan = Plan(settings);
        EvalReport report = EvalRunner.Run(plan);
        ReportWriter.Write(report, settings.OutputDirectory, plots: false);
        EvalReport back = EvalReportJson.Read(Path.Combine(settings.OutputDirectory, "report.json"));
        Assert.Equal("continual", back.Protocol.Name);
        Assert.Equal(0.1, back.Protocol.Correlation);
        Assert.Equal(["clean#1", "gaussian_noise:5#1", "clean#2", "gaussian_noise:5#2"], back.Methods["ncm-centred"].OnlineErrorByTask.Keys);
        Assert.Equal(0, back.Methods["ncm-centred"].ShiftDetections);
        Assert.NotNull(back.Methods["ncm-test-centred"].ShiftDetections);
        string md = File.ReadAllText(Path.Combine(settings.OutputDirectory, "report.md"));
        Assert.Contains("## Per condition and round", md);
        Assert.Contains("| gaussian_noise:5#2 |", md);
        Assert.Contains("label-correlated order", md);
    }
}
