namespace EdgeCL.Cli.Tests;

/// <summary>Issue 11's bad input: a correlation or detector parameter out of range, a continual stream with one condition.</summary>
public class EvalContinualCliTests
{
    [Theory]
    [InlineData("--correlation is a Dirichlet concentration", "--shifts", "clean,fog:3", "--correlation", "-1")]
    [InlineData("--protocol continual needs at least two conditions", "--shifts", "fog:3", "--protocol", "continual")]
    [InlineData("episodic protocol resets at condition boundaries", "--shifts", "fog:3", "--protocol", "episodic")]
    [InlineData("Parameter ncm-test-centred.detect-drift=11 is out of range", "--shifts", "clean,fog:3", "--param", "ncm-test-centred.detect-drift=11")]
    [InlineData("'+' composes audio shifts only", "--shifts", "clean,fog:3+contrast:2")]
    public void Eval_BadContinualOption_OneLineErrorBeforeAnyWork(string expected, params string[] extra)
    {
        using var w = new TinyWorld();
        string output = Path.Combine(w.Root, "report");
        var run = CliHarness.Run(w.With(["eval", "-b", "tiny", "--data", w.Data, "--out", output, .. extra]));
        Assert.Equal(ExitCodes.Usage, run.Code);
        Assert.Contains(expected, run.Err);
        Assert.Single(run.Err.Trim().Split('\n'));
        Assert.False(Directory.Exists(output));
    }
}
