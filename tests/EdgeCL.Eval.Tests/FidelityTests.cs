using System.Diagnostics;
using EdgeCL.Core.Learning;
using EdgeCL.Eval.Embedding;

namespace EdgeCL.Eval.Tests;

/// <summary>EdgeCL's nearest-mean and 1-NN predictions must equal scikit-learn's on the exported vectors
/// (tests/fidelity/check_sklearn.py, run with Debian's /usr/bin/python3; fails, never skips, without sklearn).</summary>
public class FidelityTests
{
    private const string Python = "/usr/bin/python3";

    [Fact]
    public void Export_SyntheticEmbeddings_SklearnNearestCentroidAndKnnAgree()
    {
        using var t = new TestData();
        var settings = new EvalSettings
        {
            Data = t.Embeddings(classes: 8, perClass: 25, dimension: 24), Shots = 5, Holdout = 0.5, Protocol = Core.Evaluation.ProtocolKind.DomainShift,
            ExportDirectory = t.Path_("export"),
        };
        RunAndCheck(settings);
    }

    [Fact]
    public void Export_RealSpeechKeywords_SklearnNearestCentroidAndKnnAgree()
    {
        string data = KeywordData.RequireSupport();
        using var t = new TestData();
        var settings = new EvalSettings
        {
            Data = data, Backbone = "speech", ModelsRoot = KeywordData.Models, Shots = 2, MaxPerClass = 5, Holdout = 0.5,
            Shifts = "clean,white:10", ExportDirectory = t.Path_("export"),
        };
        RunAndCheck(settings);
    }

    private static void RunAndCheck(EvalSettings settings)
    {
        using (EvalPlan plan = EvalRunner.Plan(settings, LearnerRegistry.CreateDefault(), EmbeddingAdapterRegistry.CreateDefault()))
            Assert.True(EvalRunner.Run(plan).Completed);
        Assert.True(File.Exists(Python), $"{Python} is missing: install Debian's Python with scikit-learn: apt-get install python3-sklearn.");
        var start = new ProcessStartInfo(Python)
        {
            ArgumentList = { Path.Combine(KeywordData.RepoRoot, "tests", "fidelity", "check_sklearn.py"), settings.ExportDirectory! },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(120_000), "check_sklearn.py did not finish in 2 minutes.");
        Assert.True(process.ExitCode == 0, $"check_sklearn.py exited {process.ExitCode}:\n{output}" +
            (output.Contains("No module named", StringComparison.Ordinal) ? "\nFix: apt-get install python3-sklearn" : ""));
        Assert.Contains("ncm-centred:", output);
        Assert.Contains("knn:", output);
    }
}
