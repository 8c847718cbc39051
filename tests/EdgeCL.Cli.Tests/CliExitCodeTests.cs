using System.Text.RegularExpressions;

namespace EdgeCL.Cli.Tests;

/// <summary>
/// The exit-code table (ExitCodes.cs, README "Exit codes") case by case: each row is a real failure run through
/// Program.Main, checked for its code and for one line on stderr. The README table is checked against ExitCodes too.
/// </summary>
public sealed class CliExitCodeTests : IDisposable
{
    private readonly TinyWorld _w = new();

    public void Dispose() => _w.Dispose();

    public static TheoryData<string, int> Cases() => new()
    {
        { "unknown option", ExitCodes.Usage },
        { "config with a wrong key", ExitCodes.Usage },
        { "image that does not exist", ExitCodes.InputError },
        { "image claiming 20000x20000 pixels", ExitCodes.InputError },
        { "missing backbone", ExitCodes.ModelError },
        { "model failing its checksum", ExitCodes.ModelError },
        { "agent with a missing model", ExitCodes.ModelError },
        { "agent with a checksum mismatch", ExitCodes.ModelError },
        { "agent --check with a checksum mismatch", ExitCodes.ModelError },
        { "state of another embedding space", ExitCodes.StateError },
        { "state path that is a folder", ExitCodes.StateError },
        { "corrupt state", ExitCodes.StateError },
        { "status of an agent that never ran", ExitCodes.NotRunning },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_failure_exits_with_its_documented_code(string failure, int expected)
    {
        string[] args = Arrange(failure);
        var (code, _, err) = CliHarness.Run(args);
        Assert.True(expected == code, $"{failure}: exit {code}, expected {expected}; stderr: {err}");
        Assert.StartsWith("edgecl:", err);
        Assert.DoesNotContain("(Parameter '", err);
        Assert.DoesNotContain("   at ", err); // no stack trace
    }

    [Fact]
    public void The_readme_table_lists_every_code_with_the_meaning_in_ExitCodes()
    {
        string readme = File.ReadAllText(Path.Combine(RealBackboneTests.RepoRoot, "README.md"));
        Match table = Regex.Match(readme, @"\| exit \| meaning \|\n\|---\|---\|\n(?<rows>(\|.*\|\n)+)");
        Assert.True(table.Success, "README.md has no '| exit | meaning |' table");
        var codes = Regex.Matches(table.Groups["rows"].Value, @"^\| `(?<code>\d+)` \|", RegexOptions.Multiline).Select(m => int.Parse(m.Groups["code"].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal([ExitCodes.Success, ExitCodes.Failure, ExitCodes.Usage, ExitCodes.InputError, ExitCodes.ModelError, ExitCodes.StateError, ExitCodes.Cancelled], codes);
    }

    private string[] Arrange(string failure)
    {
        string model = Path.Combine(_w.Models, "tiny", "tiny.onnx");
        string config = Path.Combine(_w.Root, "device.json");
        void WriteConfig(string backbone, string extra = "") => File.WriteAllText(config, $$"""
            { "device_id": "exit-dev", "fleet": "t", "backbone": "{{backbone}}", "models_root": "models", "state_dir": "agent-state",
              "sources": [ { "type": "image-folder", "path": "inbox" } ] {{extra}} }
            """);
        void CorruptModel() => File.WriteAllBytes(model, File.ReadAllBytes(model)[..^10]);
        switch (failure)
        {
            case "unknown option":
                return ["learn", "--nonsense"];
            case "config with a wrong key":
                WriteConfig("tiny", """, "threadz": 1""");
                return ["run", "--config", config, "--check"];
            case "image that does not exist":
                return _w.With("learn", "-b", "tiny", "-s", _w.State, "-f", Path.Combine(_w.Root, "nope.pgm"), "-l", "x");
            case "image claiming 20000x20000 pixels":
                string huge = Path.Combine(_w.Root, "huge.pgm");
                File.WriteAllText(huge, "P5 20000 20000 255\n");
                return _w.With("learn", "-b", "tiny", "-s", _w.State, "-f", huge, "-l", "x");
            case "missing backbone":
                return _w.With("learn", "-b", "nonesuch", "-s", _w.State, "-d", _w.Data);
            case "model failing its checksum":
                CorruptModel();
                return _w.With("learn", "-b", "tiny", "-s", _w.State, "-d", _w.Data);
            case "agent with a missing model":
                File.Delete(model);
                WriteConfig("tiny");
                return ["run", "--config", config];
            case "agent with a checksum mismatch":
                CorruptModel();
                WriteConfig("tiny");
                return ["run", "--config", config];
            case "agent --check with a checksum mismatch":
                CorruptModel();
                WriteConfig("tiny");
                return ["run", "--config", config, "--check"];
            case "state of another embedding space":
                using (var other = new TinyWorld(seed: 9))
                {
                    Assert.Equal(0, CliHarness.Run(other.With("learn", "-b", "tiny", "-s", _w.State, "-d", other.Data)).Code);
                }
                return _w.With("learn", "-b", "tiny", "-s", _w.State, "-d", _w.Data);
            case "state path that is a folder":
                return _w.With("learn", "-b", "tiny", "-s", Directory.CreateDirectory(Path.Combine(_w.Root, "a-folder")).FullName, "-d", _w.Data);
            case "corrupt state":
                Directory.CreateDirectory(Path.GetDirectoryName(_w.State)!);
                File.WriteAllText(_w.State, "not a state");
                return _w.With("predict", _w.Data, "-b", "tiny", "-s", _w.State);
            case "status of an agent that never ran":
                return ["status", "--state-dir", Directory.CreateDirectory(Path.Combine(_w.Root, "never-ran")).FullName];
            default:
                throw new ArgumentException(failure);
        }
    }
}
