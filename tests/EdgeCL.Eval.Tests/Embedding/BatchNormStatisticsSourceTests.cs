using EdgeCL.Core.Evaluation;
using EdgeCL.Core.Serialization;
using EdgeCL.Core.Learning;
using EdgeCL.Eval.Embedding;
using EdgeCL.Eval.Reporting;
using EdgeCL.Onnx.Adaptation;

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

    [Fact]
    public void ReadMomentum_ParameterDefaultAndBadValues()
    {
        Assert.Equal(0.2f, BatchNormStatisticsSource.ReadMomentum(new Dictionary<string, string> { ["bn-stats.momentum"] = "0.2" }));
        Assert.Equal(BatchNormAdaptiveBackbone.DefaultMomentum, BatchNormStatisticsSource.ReadMomentum(null));
        Assert.Equal(BatchNormAdaptiveBackbone.DefaultMomentum, BatchNormStatisticsSource.ReadMomentum(new Dictionary<string, string>()));
        foreach (string bad in new[] { "0", "-0.1", "1.01", "NaN", "x" })
            Assert.Throws<ArgumentException>(() => BatchNormStatisticsSource.ReadMomentum(new Dictionary<string, string> { ["bn-stats.momentum"] = bad }));
    }

    [Fact]
    public void Export_ImageBackbone_WritesTheCorruptedStreamAsTheBackboneSawIt()
    {
        using var t = new TestData();
        t.TinyBackbone();
        var settings = new EvalSettings
        {
            Data = t.ImageDataset(perClass: 6), Backbone = "tiny", ModelsRoot = t.Models, Shifts = "clean,gaussian_noise:5",
            Shots = 2, Holdout = 0, Draws = 1, OutputDirectory = t.Path_("out"), EvaluateEvery = 0, Methods = ["ncm-centred"],
            ExportDirectory = t.Path_("export"),
        };
        using EvalPlan plan = EvalRunner.Plan(settings, LearnerRegistry.CreateDefault(), EmbeddingAdapterRegistry.CreateDefault());
        EvalRunner.Run(plan);
        PeerExport.Write(plan, settings.ExportDirectory!);
        var (pixels, shape) = Npy.Read(File.ReadAllBytes(Path.Combine(settings.ExportDirectory!, "stream.images.npy")));
        int steps = plan.Streams[0].Steps.Count;
        Assert.Equal(steps, shape[0]);
        string[] domains = File.ReadAllLines(Path.Combine(settings.ExportDirectory!, "stream.domains.txt"));
        string[] labelled = File.ReadAllLines(Path.Combine(settings.ExportDirectory!, "stream.labelled.txt"));
        Assert.Equal(steps, domains.Length);
        Assert.Equal(plan.Streams[0].Steps.Count(s => s.Labelled), labelled.Count(l => l == "1"));
        Assert.All(pixels, p => Assert.InRange(p, 0f, 255f));
        // The same item appears clean and corrupted: the exported corrupted image differs from its clean one.
        var stream = plan.Streams[0];
        int? clean = null, noisy = null;
        for (int i = 0; i < steps && (clean is null || noisy is null); i++)
        {
            StreamSample s = stream.Samples[stream.Steps[i].Sample];
            if (s.Item != stream.Samples[stream.Steps[^1].Sample].Item)
                continue;
            if (domains[i] == "clean") clean ??= i; else noisy ??= i;
        }
        Assert.NotNull(clean);
        Assert.NotNull(noisy);
        int size = shape[1];
        Assert.False(pixels.AsSpan(clean!.Value * size, size).SequenceEqual(pixels.AsSpan(noisy!.Value * size, size)));
    }
}
