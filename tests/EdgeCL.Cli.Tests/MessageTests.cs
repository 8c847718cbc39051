using EdgeCL.Cli.Commands;
using EdgeCL.Storage.Files;

namespace EdgeCL.Cli.Tests;

/// <summary>Messages that misled (#12 item 8), one test each; the image, model and NaN ones live in EdgeCL.Onnx.Tests.</summary>
public sealed class MessageTests
{
    [Fact]
    public async Task An_argument_error_reaches_the_user_without_dotnets_parameter_suffix()
    {
        TextWriter old = Console.Error;
        var err = new StringWriter();
        Console.SetError(err);
        try
        {
            // What List.GetRange(0, -2) threw for a negative count before the option was checked.
            int code = await CommandRunner.RunAsync(_ => throw new ArgumentOutOfRangeException("count", "Non-negative number required."), CancellationToken.None);
            Assert.Equal(ExitCodes.Usage, code);
        }
        finally
        {
            Console.SetError(old);
        }
        Assert.Equal("edgecl: error: Non-negative number required.", err.ToString().TrimEnd());
    }

    [Fact]
    public void A_state_path_that_is_a_folder_is_refused_before_anything_is_embedded()
    {
        using var w = new TinyWorld();
        // A broken example: were the examples embedded first, this would be the error instead.
        File.WriteAllText(Path.Combine(w.Data, "left", "broken.pgm"), "P5 8 8 255\n");
        string folder = Directory.CreateDirectory(Path.Combine(w.Root, "state-folder")).FullName;
        var run = CliHarness.Run(w.With("learn", "-b", "tiny", "-s", folder, "-d", w.Data));
        Assert.Equal(ExitCodes.StateError, run.Code);
        Assert.Contains("is a folder; pass a file path such as", run.Err);
        Assert.DoesNotContain("broken.pgm", run.Err);
    }

    [Fact]
    public void A_failed_first_write_says_nothing_was_written_and_a_failed_rewrite_that_the_old_file_is_kept()
    {
        using var w = new TinyWorld();
        string path = Path.Combine(w.Root, "file.bin");
        Directory.CreateDirectory(path + ".tmp"); // the temp file cannot be created: every write fails
        var first = Assert.Throws<IOException>(() => AtomicFile.WriteAllBytes(path, [1]));
        Assert.Contains("nothing was written", first.Message);
        Assert.DoesNotContain("previous file", first.Message);

        File.WriteAllBytes(path, [7]);
        var again = Assert.Throws<IOException>(() => AtomicFile.WriteAllBytes(path, [1]));
        Assert.Contains("the previous file is unchanged", again.Message);
        Assert.Equal([7], File.ReadAllBytes(path));
    }

    [Fact]
    public void Run_check_lists_a_corrupt_model_an_uncreatable_state_dir_and_an_empty_trust_dir_together()
    {
        using var w = new TinyWorld();
        string model = Path.Combine(w.Models, "tiny", "tiny.onnx");
        File.WriteAllBytes(model, File.ReadAllBytes(model)[..^10]); // a truncated download
        File.WriteAllText(Path.Combine(w.Root, "blocker"), "a file where a folder should be");
        Directory.CreateDirectory(Path.Combine(w.Root, "trust"));
        string config = Path.Combine(w.Root, "device.json");
        File.WriteAllText(config, """
            { "device_id": "check-dev", "fleet": "t", "backbone": "tiny", "models_root": "models", "state_dir": "blocker/state",
              "sync": { "broker": "embedded", "trust_dir": "trust" },
              "sources": [ { "type": "image-folder", "path": "inbox" } ] }
            """);
        var run = CliHarness.Run("run", "--config", config, "--check");
        Assert.Equal(ExitCodes.Usage, run.Code); // config mistakes and a model problem: the config is fixed first
        string[] lines = run.Err.TrimEnd().Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Contains(lines, l => l.Contains("holds no <device-id>.pem", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("has SHA-256", StringComparison.Ordinal) && l.Contains("tiny.onnx", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("state_dir 'blocker/state' cannot be created or written", StringComparison.Ordinal) && l.Contains("is a file, not a folder", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(w.Root, "agent-state")));

        var list = CliHarness.Run("model", "list", "--models", w.Models);
        Assert.Contains("corrupt (checksum mismatch: re-fetch)", list.Out);
        Assert.DoesNotContain("ready", list.Out);
    }
}
