using EdgeCL.Core.Rollout;
using EdgeCL.Device.Agent;
using EdgeCL.Device.Config;
using EdgeCL.Device.Rollout;
using EdgeCL.Device.Sources;
using EdgeCL.Device.Tests.Agent;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Sessions;
using EdgeCL.Storage.State;

namespace EdgeCL.Device.Tests.Rollout;

/// <summary>
/// An agent started with another backbone than its state was made with moves the state to the new space (docs/rollout.md)
/// instead of refusing it. The "new" backbone is the digits model with other input normalisation: another space of the same size.
/// </summary>
public sealed class AgentMigrationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-migration-").FullName;
    private readonly Random _random = new(5);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string Variant()
    {
        string folder = Path.Combine(_dir, "digits-variant");
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(AgentTestData.Models, "digits", "digits-cnn.onnx"), Path.Combine(folder, "digits-cnn.onnx"));
        string manifest = File.ReadAllText(Path.Combine(AgentTestData.Models, "digits", "backbone.json"))
            .Replace("\"name\": \"digits\"", "\"name\": \"digits-variant\"", StringComparison.Ordinal)
            .Replace("0.1307", "0.25", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(folder, "backbone.json"), manifest);
        return Path.Combine(folder, "backbone.json");
    }

    private string Digit(string digit, int index) => RolloutTestData.Digit(_dir, _random, digit, index);

    private Task TeachAsync(DeviceConfig config, int perDigit, int givenSamples) => RolloutTestData.TeachAsync(config, _dir, _random, perDigit, givenSamples);

    [Fact]
    public async Task A_new_backbone_migrates_the_state_and_keeps_the_old_one()
    {
        string state = Path.Combine(_dir, "state");
        DeviceConfig config = AgentTestData.Config("dev-m", state);
        config.Learner.ExemplarBudgetMb = 1;
        await TeachAsync(config, perDigit: 5, givenSamples: 3);

        config.Backbone = Variant();
        await using (RunningAgent moved = await RunningAgent.StartAsync(config, _dir))
        {
            Assert.Contains("rollout: state moved from space", moved.LogText);
            Assert.Contains("3 classes: 2 from exemplars, 0 blended, 1 mapped", moved.LogText);
            Assert.Equal(3, moved.Agent.Device.OwnClassCount);
            Assert.Equal(10, moved.Agent.ExemplarCount);
            Assert.Equal(3, moved.Agent.Device.PendingOutboxRows); // the migrated classes, announced in the new space
            string path = Digit("7", 99);
            moved.Source.Add(new InputSample { Source = "queue", Origin = "query", FilePath = path });
            Assert.Equal("seven", moved.WaitForResults(1).Single().Label);
        }
        Assert.Single(Directory.GetFiles(state, "state.*.db"));
        Assert.False(File.Exists(Path.Combine(state, "state.db" + StateMigration.PendingSuffix)));

        // A second start in the same space changes nothing.
        await using (RunningAgent again = await RunningAgent.StartAsync(config, _dir))
            Assert.DoesNotContain("rollout:", again.LogText);
    }

    [Fact]
    public async Task A_state_that_cannot_be_migrated_is_refused_with_one_line_and_left_as_it_was()
    {
        string state = Path.Combine(_dir, "state");
        DeviceConfig config = AgentTestData.Config("dev-n", state);
        config.Learner.ExemplarBudgetMb = 1;
        await TeachAsync(config, perDigit: 2, givenSamples: 2); // 4 exemplars: too few for a map, and one class has none
        var before = StateStore.ReadSpace(Path.Combine(state, "state.db"));

        config.Backbone = Variant();
        var error = await Assert.ThrowsAsync<AgentStartException>(() => RunningAgent.StartAsync(config, _dir));
        Assert.Contains("cannot be moved to backbone 'digits-variant'", error.Message);
        Assert.Contains("Class 'heard-from-the-fleet' has no exemplars", error.Message);
        Assert.DoesNotContain("\n", error.Message);
        Assert.Equal(before, StateStore.ReadSpace(Path.Combine(state, "state.db")));
        Assert.Empty(Directory.GetFiles(state, "state.*.db"));
    }

    /// <summary>Operator calibration pairs (what <c>edgecl rollout calibrate</c> writes) installed beside the variant backbone.</summary>
    private string InstallCalibration(string variantManifest, int inputs)
    {
        using IEmbeddingBackbone oldBackbone = BackboneCatalog.Open("digits", SessionOptionsSpec.Default, null, AgentTestData.Models);
        using IEmbeddingBackbone newBackbone = BackboneCatalog.Open(variantManifest, SessionOptionsSpec.Default, null);
        int p = oldBackbone.Space.Dimension, q = newBackbone.Space.Dimension;
        var oldRows = new float[inputs * p];
        var newRows = new float[inputs * q];
        for (int i = 0; i < inputs; i++)
        {
            string file = Digit(i % 2 == 0 ? "7" : "9", 500 + i); // the bundled samples, jittered
            oldBackbone.EmbedFile(file, oldRows.AsSpan(i * p, p));
            newBackbone.EmbedFile(file, newRows.AsSpan(i * q, q));
        }
        string path = CalibrationFile.PathFor(Path.GetDirectoryName(variantManifest)!, oldBackbone.Space);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, CalibrationPairs.Create(oldBackbone.Space, newBackbone.Space, oldRows, newRows).Encode());
        return path;
    }

    [Fact]
    public async Task Operator_calibration_pairs_beside_the_new_backbone_move_a_state_that_has_too_few_exemplars()
    {
        string state = Path.Combine(_dir, "state");
        DeviceConfig config = AgentTestData.Config("dev-c", state);
        config.Learner.ExemplarBudgetMb = 1;
        await TeachAsync(config, perDigit: 2, givenSamples: 2); // refused without calibration (test above)

        string variant = Variant();
        InstallCalibration(variant, inputs: 30);
        config.Backbone = variant;
        await using RunningAgent moved = await RunningAgent.StartAsync(config, _dir);
        Assert.Contains("rollout: state moved from space", moved.LogText);
        Assert.Contains("map fitted with 30 calibration pairs", moved.LogText);
        Assert.Contains("1 mapped", moved.LogText); // the class with no exemplars, carried by the calibrated map
        Assert.Equal(3, moved.Agent.Device.OwnClassCount);
        moved.Source.Add(new InputSample { Source = "queue", Origin = "query", FilePath = Digit("7", 98) });
        Assert.Equal("seven", moved.WaitForResults(1).Single().Label);
    }

    [Fact]
    public async Task A_damaged_calibration_file_refuses_the_move_with_one_line_naming_it_and_leaves_the_state()
    {
        string state = Path.Combine(_dir, "state");
        DeviceConfig config = AgentTestData.Config("dev-d", state);
        config.Learner.ExemplarBudgetMb = 1;
        await TeachAsync(config, perDigit: 5, givenSamples: 3); // movable on its own exemplars
        var before = StateStore.ReadSpace(Path.Combine(state, "state.db"));

        string variant = Variant();
        string calibration = InstallCalibration(variant, inputs: 12);
        byte[] bytes = File.ReadAllBytes(calibration);
        bytes[bytes.Length / 2] ^= 0x40; // one flipped bit in the rows
        File.WriteAllBytes(calibration, bytes);
        config.Backbone = variant;
        var error = await Assert.ThrowsAsync<AgentStartException>(() => RunningAgent.StartAsync(config, _dir));
        Assert.Contains(calibration, error.Message);
        Assert.Contains("checksum mismatch", error.Message);
        Assert.DoesNotContain("\n", error.Message);
        Assert.Equal(before, StateStore.ReadSpace(Path.Combine(state, "state.db")));
        Assert.Empty(Directory.GetFiles(state, "state.*.db"));
    }
}
