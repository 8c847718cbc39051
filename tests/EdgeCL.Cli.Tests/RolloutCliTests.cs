namespace EdgeCL.Cli.Tests;

/// <summary><c>edgecl rollout measure</c> end to end on two tiny image backbones (two embedding spaces), and its bad input.</summary>
public sealed class RolloutCliTests : IDisposable
{
    private readonly TinyWorld _old = new(seed: 3), _new = new(seed: 5);

    public void Dispose()
    {
        _old.Dispose();
        _new.Dispose();
    }

    [Fact]
    public void Measure_TwoTinyBackbones_PrintsOneRowPerBudget()
    {
        string newBackbone = Path.Combine(_new.Models, "tiny", "backbone.json");
        var (code, output, err) = CliHarness.Run("rollout", "measure", "--from", "tiny", "--to", newBackbone, "--models", _old.Models,
            "--data", _old.Data, "--test", _old.Data, "--budgets", "0,2,all", "--seeds", "2");
        Assert.True(code == ExitCodes.Success, err);
        string[] rows = output.Split('\n').Where(l => l.StartsWith("| 0 |") || l.StartsWith("| 2 |") || l.StartsWith("| all |")).ToArray();
        Assert.Equal(3, rows.Length);
        // Budget 0 and no calibration: nothing to fit a map on, so only the baselines have figures.
        Assert.Equal(["—", "—", "—", "—", "—"], Cells(rows[0])[5..]);
        // Every item kept: re-teaching the kept exemplars is re-teaching everything, and a blend has nothing left to map.
        string[] all = Cells(rows[2]);
        Assert.Equal(all[4], all[5]);
        Assert.Equal(all[4], all[6]);
    }

    [Fact]
    public void Measure_SameBackboneTwice_OneLine()
    {
        var (code, _, err) = CliHarness.Run("rollout", "measure", "--from", "tiny", "--to", "tiny", "--models", _old.Models,
            "--data", _old.Data, "--test", _old.Data);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("produce the same space", err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void Measure_BadBudget_OneLine()
    {
        var (code, _, err) = CliHarness.Run("rollout", "measure", "--from", "tiny", "--to", "tiny", "--models", _old.Models,
            "--data", _old.Data, "--test", _old.Data, "--budgets", "2,lots");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--budgets item 'lots'", err);
    }

    [Fact]
    public void Calibrate_WritesThePairsBesideTheNewBackbone_WhereDevicesLook()
    {
        string newBackbone = Path.Combine(_new.Models, "tiny", "backbone.json");
        var (code, output, err) = CliHarness.Run("rollout", "calibrate", "--from", "tiny", "--to", newBackbone, "--models", _old.Models, "--data", _old.Data);
        Assert.True(code == ExitCodes.Success, err);
        string[] written = Directory.GetFiles(Path.Combine(_new.Models, "tiny", EdgeCL.Device.Rollout.CalibrationFile.FolderName), "*.eccal");
        string path = Assert.Single(written);
        Assert.Contains($"wrote {path}", output);
        var pairs = EdgeCL.Core.Rollout.CalibrationPairs.Decode(File.ReadAllBytes(path));
        Assert.Equal(Directory.GetFiles(_old.Data, "*", SearchOption.AllDirectories).Length, pairs.Count);
        Assert.Equal(Path.GetFileNameWithoutExtension(path), pairs.Source.Id);
        Assert.NotEqual(pairs.Source.Id, pairs.Target.Id);
    }

    [Fact]
    public void Calibrate_SameBackboneTwice_OneLineAndNoFile()
    {
        string output = Path.Combine(_old.Models, "pairs.eccal");
        var (code, _, err) = CliHarness.Run("rollout", "calibrate", "--from", "tiny", "--to", "tiny", "--models", _old.Models, "--data", _old.Data, "--out", output);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("produce the same space", err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(File.Exists(output));
    }

    private static string[] Cells(string row) => row.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray();
}
