using System.Text.Json;
using EdgeCL.Core.Serialization;

namespace EdgeCL.Cli.Tests;

public class CliTests
{
    [Fact]
    public void LearnThenPredict_FolderPerClass_RecognisesBothClasses()
    {
        using var w = new TinyWorld();
        var learn = CliHarness.Run(w.With("learn", "--backbone", "tiny", "--state", w.State, "--data", w.Data, "--shots", "3", "--json"));
        Assert.True(learn.Code == ExitCodes.Success, learn.Err);
        using (JsonDocument doc = JsonDocument.Parse(learn.Out))
        {
            Assert.Equal(6, doc.RootElement.GetProperty("added").GetInt32());
            Assert.Equal(2, doc.RootElement.GetProperty("classes").GetArrayLength());
        }
        var predict = CliHarness.Run(w.With("predict", w.Data, "--backbone", "tiny", "--state", w.State, "--json"));
        Assert.True(predict.Code == ExitCodes.Success, predict.Err);
        using JsonDocument result = JsonDocument.Parse(predict.Out);
        Assert.Equal(12, result.RootElement.GetProperty("samples").GetInt32());
        Assert.Equal(1.0, result.RootElement.GetProperty("accuracy").GetDouble());
    }

    [Fact]
    public void Predict_OpenSet_RejectsBelowTheThresholdAndReservedLabelsAreRefused()
    {
        using var w = new TinyWorld();
        Assert.Equal(0, CliHarness.Run(w.With("learn", "-b", "tiny", "-s", w.State, "-d", w.Data, "--shots", "3")).Code);
        // A threshold of 1 accepts nothing: every file is "unknown", and --json says why.
        var strict = CliHarness.Run(w.With("predict", w.Data, "-b", "tiny", "-s", w.State, "--threshold", "1", "--json"));
        Assert.True(strict.Code == ExitCodes.Success, strict.Err);
        using (JsonDocument doc = JsonDocument.Parse(strict.Out))
            foreach (JsonElement p in doc.RootElement.GetProperty("predictions").EnumerateArray())
                Assert.Equal((false, 1.0), (p.GetProperty("accepted").GetBoolean(), p.GetProperty("threshold").GetDouble()));
        var text = CliHarness.Run(w.With("predict", w.Data, "-b", "tiny", "-s", w.State, "--threshold", "1"));
        Assert.Contains("unknown (nearest ", text.Out, StringComparison.Ordinal);
        var bad = CliHarness.Run(w.With("predict", w.Data, "-b", "tiny", "-s", w.State, "--threshold", "1.5"));
        Assert.Equal(ExitCodes.Usage, bad.Code);
        Assert.Single(bad.Err.Trim().Split('\n'));
        // A reserved label taught by mistake: one line, exit 2, the state byte-identical.
        byte[] before = File.ReadAllBytes(w.State);
        var reserved = CliHarness.Run(w.With("learn", "-b", "tiny", "-s", w.State, "--file", Directory.GetFiles(Path.Combine(w.Data, "left"))[0], "--label", "unknown"));
        Assert.Equal(ExitCodes.Usage, reserved.Code);
        Assert.Contains("reserved", reserved.Err, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(w.State));
    }

    [Fact]
    public void Learn_OneBadFile_FailsAndLeavesStateByteIdentical()
    {
        using var w = new TinyWorld();
        Assert.Equal(0, CliHarness.Run(w.With("learn", "-b", "tiny", "-s", w.State, "-d", w.Data)).Code);
        byte[] before = File.ReadAllBytes(w.State);
        File.WriteAllText(Path.Combine(w.Data, "left", "zz_corrupt.pgm"), "P5 8 8 255\nshort");
        var run = CliHarness.Run(w.With("learn", "-b", "tiny", "-s", w.State, "-d", w.Data));
        Assert.Equal(ExitCodes.InputError, run.Code);
        Assert.Contains("zz_corrupt.pgm", run.Err);
        Assert.Single(run.Err.Trim().Split('\n'));
        Assert.Equal(before, File.ReadAllBytes(w.State));
    }

    [Fact]
    public void Learn_CorruptState_RefusedAndFileUntouched()
    {
        using var w = new TinyWorld();
        Directory.CreateDirectory(Path.GetDirectoryName(w.State)!);
        File.WriteAllBytes(w.State, "ECLS this is not really a state"u8.ToArray());
        var run = CliHarness.Run(w.With("learn", "-b", "tiny", "-s", w.State, "-d", w.Data));
        Assert.Equal(ExitCodes.StateError, run.Code);
        Assert.Contains("State file", run.Err);
        Assert.Equal("ECLS this is not really a state"u8.ToArray(), File.ReadAllBytes(w.State));
    }

    [Fact]
    public void Predict_StateFromAnotherBackbone_RefusedAsSpaceMismatch()
    {
        using var a = new TinyWorld(seed: 3);
        using var b = new TinyWorld(seed: 4);
        Assert.Equal(0, CliHarness.Run(a.With("learn", "-b", "tiny", "-s", a.State, "-d", a.Data)).Code);
        var run = CliHarness.Run(b.With("predict", b.Data, "-b", "tiny", "-s", a.State));
        Assert.Equal(ExitCodes.StateError, run.Code);
        Assert.Contains("cannot be mixed", run.Err);
    }

    [Fact]
    public void Forget_KnownAndUnknownClass()
    {
        using var w = new TinyWorld();
        Assert.Equal(0, CliHarness.Run(w.With("learn", "-b", "tiny", "-s", w.State, "-d", w.Data)).Code);
        var forget = CliHarness.Run("forget", "-s", w.State, "-l", "left", "--json");
        Assert.Equal(0, forget.Code);
        Assert.Equal(1, JsonDocument.Parse(forget.Out).RootElement.GetProperty("classes").GetArrayLength());
        var again = CliHarness.Run("forget", "-s", w.State, "-l", "left");
        Assert.Equal(ExitCodes.Usage, again.Code);
        Assert.Contains("known classes: bottom", again.Err);
    }

    [Fact]
    public void Embed_Dataset_WritesNpyAndLabels()
    {
        using var w = new TinyWorld();
        string output = Path.Combine(w.Root, "out", "e.npy");
        var run = CliHarness.Run(w.With("embed", "-b", "tiny", "-d", w.Data, "-o", output, "--json"));
        Assert.True(run.Code == 0, run.Err);
        var (data, shape) = Npy.Read(File.ReadAllBytes(output));
        Assert.Equal([12, 6], shape);
        Assert.Equal(72, data.Length);
        string[] labels = File.ReadAllLines(output + ".labels.txt");
        Assert.Equal(6, labels.Count(l => l == "bottom"));
        Assert.Equal(12, File.ReadAllLines(output + ".files.txt").Length);
    }

    [Fact]
    public void ModelInspect_TinyModel_ShowsEmbeddingAndBatchNorm()
    {
        using var w = new TinyWorld();
        var run = CliHarness.Run(w.With("model", "inspect", "tiny", "--json"));
        Assert.True(run.Code == 0, run.Err);
        JsonElement model = JsonDocument.Parse(run.Out).RootElement[0];
        Assert.Equal(6, model.GetProperty("embedding_dimension").GetInt32());
        Assert.Equal(1, model.GetProperty("batch_normalization_nodes").GetInt32());
        Assert.True(model.GetProperty("operators").TryGetProperty("Conv", out _));
    }

    [Theory]
    [InlineData(ExitCodes.Usage, "learn", "--nonsense")]
    [InlineData(ExitCodes.Usage, "model", "inspect")]
    [InlineData(ExitCodes.Usage, "learn", "-b", "tiny", "-s", "x.ecls", "--file", "a.pgm")]
    [InlineData(ExitCodes.Usage, "learn", "-b", "tiny", "-s", "x.ecls", "-d", "data", "--providers", "gpu")]
    [InlineData(ExitCodes.ModelError, "learn", "-b", "nonesuch", "-s", "x.ecls", "-d", "data")]
    public void BadCommandLines_OneLineErrorAndDocumentedCode(int code, params string[] args)
    {
        using var w = new TinyWorld();
        var run = CliHarness.Run(w.With(args));
        Assert.Equal(code, run.Code);
        Assert.StartsWith("edgecl: error:", run.Err);
    }

    [Fact]
    public void BadInputs_ClearErrors()
    {
        using var w = new TinyWorld();
        string empty = Path.Combine(w.Root, "empty");
        Directory.CreateDirectory(empty);
        var noClasses = CliHarness.Run(w.With("learn", "-b", "tiny", "-s", w.State, "-d", empty));
        Assert.Equal(ExitCodes.InputError, noClasses.Code);
        Assert.Contains("no class sub-folders", noClasses.Err);

        string notOnnx = Path.Combine(w.Root, "x.onnx");
        File.WriteAllText(notOnnx, "hello");
        var inspect = CliHarness.Run("model", "inspect", notOnnx);
        Assert.Equal(ExitCodes.ModelError, inspect.Code);
        Assert.Contains("not an ONNX model", inspect.Err);

        var tooManyShots = CliHarness.Run(w.With("learn", "-b", "tiny", "-s", w.State, "-d", w.Data, "--shots", "50"));
        Assert.Equal(ExitCodes.InputError, tooManyShots.Code);
        Assert.False(File.Exists(w.State));
    }

    [Fact]
    public void Learn_StateDirectoryIsAFile_ReportsStateErrorAndWritesNothing()
    {
        using var w = new TinyWorld();
        string blocker = Path.Combine(w.Root, "blocker");
        File.WriteAllText(blocker, "x");
        var run = CliHarness.Run(w.With("learn", "-b", "tiny", "-s", Path.Combine(blocker, "s.ecls"), "-d", w.Data));
        Assert.Equal(ExitCodes.StateError, run.Code);
        Assert.Equal("x", File.ReadAllText(blocker));
    }
}
