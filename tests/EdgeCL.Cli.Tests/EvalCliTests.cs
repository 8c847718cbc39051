using System.Text.Json;

namespace EdgeCL.Cli.Tests;

public class EvalCliTests
{
    [Fact]
    public void Eval_TinyBackboneWithShifts_WritesReportAndJson()
    {
        using var w = new TinyWorld();
        string output = Path.Combine(w.Root, "report");
        var run = CliHarness.Run(w.With("eval", "-b", "tiny", "--data", w.Data, "--shifts", "clean,fog:2,pixelate", "--shots", "2",
            "--methods", "ncm,ncm-centred", "--out", output, "--no-plots", "--json"));
        Assert.True(run.Code == ExitCodes.Success, run.Err);
        using JsonDocument doc = JsonDocument.Parse(run.Out);
        JsonElement root = doc.RootElement;
        Assert.Equal("edgecl.eval/v1", root.GetProperty("schema").GetString());
        Assert.Equal(1, root.GetProperty("seed").GetInt64());
        JsonElement ncm = root.GetProperty("methods").GetProperty("ncm-centred");
        foreach (string key in new[] { "accuracy", "avg_incremental_accuracy", "forgetting", "bwt", "min_acc", "wc_acc", "online_error", "latency_ms" })
            Assert.True(ncm.TryGetProperty(key, out _), key);
        Assert.True(ncm.GetProperty("online_error").TryGetProperty("pixelate:3", out _));
        Assert.True(root.GetProperty("peak_rss_mb").GetDouble() > 0);
        Assert.True(File.Exists(Path.Combine(output, "report.json")));
        Assert.True(File.Exists(Path.Combine(output, "report.md")));
    }

    [Fact]
    public void Eval_Unknown_WithATalkModeThatDoesNotExistOrABadConfig_FailsBeforeAnyWork()
    {
        using var w = new TinyWorld();
        string output = Path.Combine(w.Root, "report");
        var run = CliHarness.Run(w.With(["eval", "-b", "tiny", "--data", w.Data, "--unknown", w.Data, "--talk", "vad", "--out", output]));
        Assert.Equal(ExitCodes.Usage, run.Code);
        Assert.Contains("--talk 'vad' is unknown; use device", run.Err);
        Assert.Single(run.Err.Trim().Split('\n'));
        Assert.False(Directory.Exists(output));

        string config = Path.Combine(w.Root, "device.json");
        File.WriteAllText(config, "{ \"recognition\": { \"min_pause_befor_ms\": 600 } }");
        run = CliHarness.Run(w.With(["eval", "-b", "tiny", "--data", w.Data, "--unknown", w.Data, "--config", config, "--out", output]));
        Assert.Equal(ExitCodes.Usage, run.Code);
        Assert.Contains("min_pause_befor_ms", run.Err);
        Assert.False(Directory.Exists(output));
    }

    [Theory]
    [InlineData("--draws", "3", true)]
    [InlineData("--protocol", "episodic", true)]
    [InlineData("--rounds", "2", true)]
    [InlineData("--threshold", "0.5", false)]
    [InlineData("--corrections", "0", false)]
    public void Eval_AnOptionTheChosenEvaluationDoesNotRead_IsRefusedInOneLine(string option, string value, bool withUnknown)
    {
        using var w = new TinyWorld();
        string output = Path.Combine(w.Root, "report");
        string[] unknown = withUnknown ? ["--unknown", w.Data] : [];
        var run = CliHarness.Run(w.With(["eval", "-b", "tiny", "--data", w.Data, .. unknown, option, value, "--out", output]));
        Assert.Equal(ExitCodes.Usage, run.Code);
        Assert.Contains(withUnknown ? $"{option} is a stream-protocol option that eval --unknown does not use" : $"{option} applies only with --unknown DIR", run.Err);
        Assert.Single(run.Err.Trim().Split('\n'));
        Assert.False(Directory.Exists(output));
    }

    [Theory]
    [InlineData(ExitCodes.Usage, "Unknown method 'tent'", "--methods", "ncm,tent")]
    [InlineData(ExitCodes.Usage, "Unknown shift 'sleet'", "--shifts", "clean,sleet")]
    [InlineData(ExitCodes.Usage, "severity 9 is out of range", "--shifts", "fog:9")]
    [InlineData(ExitCodes.Usage, "severity 0 is out of range", "--severity", "0")]
    [InlineData(ExitCodes.Usage, "Class 'bottom' has 6 labelled sample(s)", "--shots", "7")]
    [InlineData(ExitCodes.Usage, "--protocol 'cotta2' is unknown", "--protocol", "cotta2")]
    [InlineData(ExitCodes.Usage, "applies to audio but the dataset holds image files", "--shifts", "white:10")]
    public void Eval_BadOption_OneLineErrorBeforeAnyWork(int code, string expected, params string[] extra)
    {
        using var w = new TinyWorld();
        string output = Path.Combine(w.Root, "report");
        var run = CliHarness.Run(w.With(["eval", "-b", "tiny", "--data", w.Data, "--out", output, .. extra]));
        Assert.Equal(code, run.Code);
        Assert.Contains(expected, run.Err);
        Assert.Single(run.Err.Trim().Split('\n'));
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void Eval_BadData_OneLineInputErrors()
    {
        using var w = new TinyWorld();
        string output = Path.Combine(w.Root, "report");

        string empty = Path.Combine(w.Root, "empty");
        Directory.CreateDirectory(empty);
        AssertInputError(w, output, "has no classes", "--data", empty);

        string mixed = Path.Combine(w.Root, "mixed");
        Directory.CreateDirectory(Path.Combine(mixed, "a"));
        File.Copy(Directory.GetFiles(Path.Combine(w.Data, "left"))[0], Path.Combine(mixed, "a", "x.pgm"));
        File.WriteAllBytes(Path.Combine(mixed, "a", "y.wav"), [0]);
        AssertInputError(w, output, "mixes file types", "--data", mixed);

        string manifest = Path.Combine(w.Root, "stream.jsonl");
        File.WriteAllText(manifest, "{\"path\": \"data/left/missing.pgm\", \"label\": \"left\"}\n");
        AssertInputError(w, output, "line 1 names 'data/left/missing.pgm', which does not exist", "--manifest", manifest);
    }

    [Fact]
    public void Eval_List_ShowsMethodsAndShifts()
    {
        var run = CliHarness.Run("eval", "--list");
        Assert.Equal(ExitCodes.Success, run.Code);
        Assert.Contains("ncm-centred", run.Out);
        Assert.Contains("knn.k", run.Out);
        Assert.Contains("jpeg_compression", run.Out);
    }

    private static void AssertInputError(TinyWorld w, string output, string expected, params string[] args)
    {
        var run = CliHarness.Run(w.With(["eval", "-b", "tiny", "--out", output, .. args]));
        Assert.Equal(ExitCodes.InputError, run.Code);
        Assert.Contains(expected, run.Err);
        Assert.Single(run.Err.Trim().Split('\n'));
        Assert.False(Directory.Exists(output));
    }
}
