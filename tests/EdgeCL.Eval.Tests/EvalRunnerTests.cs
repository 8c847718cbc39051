using EdgeCL.Core.Evaluation;
using EdgeCL.Core.Learning;
using EdgeCL.Eval.Embedding;
using EdgeCL.Eval.Reporting;
using EdgeCL.Onnx.Errors;

namespace EdgeCL.Eval.Tests;

public class EvalRunnerTests
{
    private static EvalPlan Plan(EvalSettings s) => EvalRunner.Plan(s, LearnerRegistry.CreateDefault(), EmbeddingAdapterRegistry.CreateDefault());

    [Fact]
    public void Run_TinyImageBackboneWithCorruptions_WritesReportPlotsAndSaneMetrics()
    {
        using var t = new TestData();
        t.TinyBackbone();
        var settings = new EvalSettings
        {
            Data = t.ImageDataset(perClass: 8), Backbone = "tiny", ModelsRoot = t.Models, Shifts = "clean,gaussian_noise:5,fog:3",
            Shots = 3, Holdout = 0.4, Draws = 2, OutputDirectory = t.Path_("out"), EvaluateEvery = 2,
            Methods = ["ncm", "ncm-centred", "knn"],
        };
        using EvalPlan plan = Plan(settings);
        EvalReport report = EvalRunner.Run(plan);
        var (files, warning) = ReportWriter.Write(report, settings.OutputDirectory, plots: true);
        Assert.Null(warning);
        foreach (string f in new[] { "report.json", "report.md", "accuracy.png", "accuracy.svg", "domains.png", "domains.svg", "latency.png", "latency.svg" })
            Assert.True(File.Exists(Path.Combine(settings.OutputDirectory, f)), f);
        Assert.Equal(8, files.Count);

        EvalReport back = EvalReportJson.Read(Path.Combine(settings.OutputDirectory, "report.json"));
        Assert.Equal("edgecl.eval/v1", back.Schema);
        Assert.True(back.Completed);
        Assert.Equal(["ncm", "ncm-centred", "knn"], back.MethodOrder);
        MethodReport ncm = back.Methods["ncm-centred"];
        Assert.Equal(["clean", "gaussian_noise:5", "fog:3"], ncm.OnlineError.Keys);
        Assert.InRange(ncm.Accuracy!.Value, 0, 1);
        Assert.Equal(0, ncm.Forgetting!.Value, 6); // a static learner forgets nothing
        Assert.Equal(2, ncm.Draws.Count);
        foreach (string stage in new[] { "front_end", "backbone", "learner_learn", "learner_predict", "adaptation" })
            Assert.Contains(stage, ncm.LatencyMs.Keys);
        Assert.True(back.PeakRssMb > 0);
        // Each (file, shift) was embedded once, shared by 3 methods × 2 draws.
        Assert.Equal(back.Embeddings.Distinct, back.Embeddings.Computed);
        Assert.Contains("![accuracy](accuracy.png)", File.ReadAllText(Path.Combine(settings.OutputDirectory, "report.md")));
    }

    [Fact]
    public void Run_SameSeedTwice_IdenticalResults()
    {
        using var t = new TestData();
        t.TinyBackbone();
        var settings = new EvalSettings
        {
            Data = t.ImageDataset(perClass: 6), Backbone = "tiny", ModelsRoot = t.Models, Shifts = "clean,impulse_noise:4,elastic:2",
            Shots = 2, Seed = 17, Methods = ["ncm-centred"],
        };
        using EvalPlan a = Plan(settings), b = Plan(settings);
        MethodReport ra = EvalRunner.Run(a).Methods["ncm-centred"], rb = EvalRunner.Run(b).Methods["ncm-centred"];
        Assert.Equal(ra.OnlineError, rb.OnlineError);
        Assert.Equal(ra.Curve.Pooled, rb.Curve.Pooled);
    }

    [Fact]
    public void Run_Cancelled_ReportsWhatFinishedAsIncomplete()
    {
        using var t = new TestData();
        using EvalPlan plan = Plan(new EvalSettings { Data = t.Embeddings(), Shots = 2 });
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        EvalReport report = EvalRunner.Run(plan, null, cts.Token);
        Assert.False(report.Completed);
        string md = ReportWriter.Markdown(report, []);
        Assert.Contains("Interrupted", md);
    }

    [Fact]
    public void Run_Npy_ClassIncrementalDefaultsAndMetrics()
    {
        using var t = new TestData();
        using EvalPlan plan = Plan(new EvalSettings { Data = t.Embeddings(classes: 6, perClass: 10), Shots = 3, Tasks = 3, Methods = ["ncm-centred"] });
        Assert.Equal("class-incremental", plan.Streams[0].Protocol);
        EvalReport report = EvalRunner.Run(plan);
        MethodReport m = report.Methods["ncm-centred"];
        Assert.Equal(3, m.AccuracyMatrix.Count);
        Assert.Null(m.AccuracyMatrix[0][1]); // task 2's set is not evaluated after task 1
        Assert.NotNull(m.AvgIncrementalAccuracy);
        Assert.NotNull(m.Bwt);
        Assert.NotNull(m.MinAcc);
        Assert.NotNull(m.WcAcc);
        Assert.DoesNotContain(m.OnlineError, kv => kv.Value is null);
    }

    public static TheoryData<string, string> BadSettings() => new()
    {
        { "method", "Unknown method 'nonesuch'; known methods: ncm, ncm-centred, knn, " },
        { "adapter", "Unknown embedding adapter 'bn-typo'" },
        { "shift", "Unknown shift 'rain'" },
        { "severity", "severity 7 is out of range" },
        { "shots", "Class 'class0' has 12 labelled sample(s) in the source domain 'clean' but --shots is 20" },
        { "param", "Unknown parameter 'knn.kk'" },
        { "npy-shift", "cannot be shifted" },
        { "param-value", "Parameter knn.k='many' is not an integer." },
        { "adapter-param", "Unknown parameter 'bn-stats.alpha'; bn-stats reads: bn-stats.momentum." },
        { "adapter-param-value", "Parameter bn-stats.momentum='1.5' must be a number in (0, 1]." },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void Plan_BadInput_OneLineErrorBeforeAnyWork(string what, string expected)
    {
        using var t = new TestData();
        string npy = t.Embeddings();
        var s = new EvalSettings { Data = npy, OutputDirectory = t.Path_("out") };
        s = what switch
        {
            "method" => s with { Methods = ["ncm", "nonesuch"] },
            "adapter" => s with { Methods = ["bn-typo+ncm-centred"] },
            "shift" => s with { Shifts = "clean,rain" },
            "severity" => s with { Shifts = "fog:7" },
            "shots" => s with { Shots = 20 },
            "param" => s with { Parameters = new Dictionary<string, string> { ["knn.kk"] = "2" } },
            "param-value" => s with { Parameters = new Dictionary<string, string> { ["knn.k"] = "many" } },
            "adapter-param" => s with { Parameters = new Dictionary<string, string> { ["bn-stats.alpha"] = "0.1" } },
            "adapter-param-value" => s with { Parameters = new Dictionary<string, string> { ["bn-stats.momentum"] = "1.5" } },
            _ => s with { Shifts = "clean,white:10" },
        };
        var ex = Assert.Throws<ArgumentException>(() => Plan(s));
        Assert.Contains(expected, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.False(Directory.Exists(s.OutputDirectory));
    }

    [Fact]
    public void Plan_AudioShiftOnImages_AndMissingBackbone_FailEarly()
    {
        using var t = new TestData();
        t.TinyBackbone();
        string images = t.ImageDataset(perClass: 3);
        var ex = Assert.Throws<ArgumentException>(() => Plan(new EvalSettings { Data = images, Backbone = "tiny", ModelsRoot = t.Models, Shifts = "white:10" }));
        Assert.Contains("applies to audio but the dataset holds image files", ex.Message);
        Assert.Throws<ModelLoadException>(() => Plan(new EvalSettings { Data = images, Backbone = "nope", ModelsRoot = t.Models }));
        var missing = Assert.Throws<ArgumentException>(() => Plan(new EvalSettings { Data = images }));
        Assert.Contains("--backbone is required", missing.Message);
    }
}
