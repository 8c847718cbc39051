using System.Buffers;
using System.Security.Cryptography;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Rollout;
using EdgeCL.Device.Agent;
using EdgeCL.Device.Config;
using EdgeCL.Device.Rollout;
using EdgeCL.Device.Sources;
using EdgeCL.Device.Tests.Agent;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Sessions;
using EdgeCL.Storage.State;
using EdgeCL.Sync.Broker;
using EdgeCL.Sync.Commands;
using EdgeCL.Sync.Status;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeCL.Device.Tests.Rollout;

/// <summary>
/// The signed <c>new_backbone</c> command on a running agent (docs/rollout.md): refused with a reason for an unknown, corrupt
/// or current backbone (nothing changes); otherwise stored in <c>state_dir/backbone.override</c>, the agent stops for a
/// restart, and the restart moves the state and announces every class in the new space. Two backbones: digits, and digits
/// with other input normalisation (another space of the same size).
/// </summary>
public sealed class AgentBackboneCommandTests : IAsyncLifetime
{
    private const string Device = "dev-r";
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-newbackbone-").FullName;
    private readonly Random _random = new(8);
    private readonly EntrySigner _operator = EntrySigner.Create("ops");
    private EmbeddedBroker _broker = null!;
    private IMqttClient _ops = null!;
    private DeviceConfig _config = null!;

    private string State => Path.Combine(_dir, "state");

    public async Task InitializeAsync()
    {
        string models = Path.Combine(_dir, "models");
        InstallModel(models, "digits", manifest => manifest);
        InstallModel(models, "digits-variant", manifest => manifest.Replace("\"name\": \"digits\"", "\"name\": \"digits-variant\"", StringComparison.Ordinal)
            .Replace("0.1307", "0.25", StringComparison.Ordinal));
        string corrupt = InstallModel(models, "digits-corrupt", manifest => manifest.Replace("\"name\": \"digits\"", "\"name\": \"digits-corrupt\"", StringComparison.Ordinal));
        using (var model = File.OpenWrite(Path.Combine(corrupt, "digits-cnn.onnx")))
        {
            model.Seek(-1, SeekOrigin.End);
            model.WriteByte(0x5a); // one byte off: the manifest's checksum no longer matches
        }

        (Dictionary<string, string> keys, string trust) = AgentTestData.Keys(_dir, Device);
        Directory.CreateDirectory(Path.Combine(trust, "operators"));
        File.WriteAllText(Path.Combine(trust, "operators", "ops.pem"), _operator.ExportPublicKeyPem());
        _broker = new EmbeddedBroker(new EmbeddedBrokerOptions { Port = 0, Users = [BrokerUser.WithPassword(Device, "pw"), BrokerUser.WithPassword("ops", "po", isOperator: true)] });
        await _broker.StartAsync();
        File.WriteAllText(Path.Combine(_dir, "pw"), "pw\n");
        _config = AgentTestData.Config(Device, State, new SyncSettings
        {
            Broker = $"mqtt://127.0.0.1:{_broker.Port}", User = Device, PasswordFile = "pw", SigningKey = keys[Device], TrustDir = trust,
        });
        _config.ModelsRoot = models;
        _config.Learner.ExemplarBudgetMb = 1;
        _ops = new MqttClientFactory().CreateMqttClient();
        await _ops.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", _broker.Port).WithCredentials("ops", "po").WithClientId("ops").Build());
    }

    public async Task DisposeAsync()
    {
        _ops.Dispose();
        await _broker.DisposeAsync();
        _operator.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string InstallModel(string models, string name, Func<string, string> manifest)
    {
        string folder = Directory.CreateDirectory(Path.Combine(models, name)).FullName;
        File.Copy(Path.Combine(AgentTestData.Models, "digits", "digits-cnn.onnx"), Path.Combine(folder, "digits-cnn.onnx"));
        File.WriteAllText(Path.Combine(folder, "backbone.json"), manifest(File.ReadAllText(Path.Combine(AgentTestData.Models, "digits", "backbone.json"))));
        return folder;
    }

    private string Digit(string digit, int index) => RolloutTestData.Digit(_dir, _random, digit, index);

    /// <summary>5 sevens and 5 nines kept as exemplars (enough for a map), and one class with no raw input (mapped).</summary>
    private Task TeachAsync() => RolloutTestData.TeachAsync(_config, _dir, _random, perDigit: 5, givenSamples: 3);

    // Connected and subscribed to its commands (MQTT's IsConnected comes before the subscription: a command sent in
    // between, not retained, was lost under load and the test timed out waiting for the override).
    private static Task Subscribed(RunningAgent agent) => agent.Agent.Device.Client.WaitUntilConnectedAsync().WaitAsync(TimeSpan.FromSeconds(20));

    private async Task<string> SendAsync(string backbone)
    {
        SignedCommand signed = SignedCommands.Create(new FleetCommand(FleetCommandKind.NewBackbone, Device, Backbone: backbone), "test", _operator, DateTimeOffset.UtcNow.AddMinutes(5));
        await _ops.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(signed.Topic).WithPayload(signed.Payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        return signed.Id;
    }

    private async Task<DeviceStatus> RetainedStatusAsync()
    {
        var retained = await _broker.GetRetainedMessagesAsync();
        MqttApplicationMessage status = retained.Single(m => m.Topic == $"edgecl/v1/test/status/{Device}");
        Assert.True(DeviceStatus.TryParse(status.Payload.ToArray(), out DeviceStatus? parsed));
        return parsed!;
    }

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public async Task Unknown_corrupt_or_current_backbones_are_refused_with_a_reason_and_nothing_changes()
    {
        await TeachAsync();
        string before = Hash(Path.Combine(State, "state.db"));
        await using (RunningAgent a = await RunningAgent.StartAsync(_config, _dir))
        {
            await Subscribed(a);
            string unknown = await SendAsync("no-such-model");
            string corrupt = await SendAsync("digits-corrupt");
            string current = await SendAsync("digits");
            string path = await SendAsync("../digits-variant");
            await WaitUntil(() => a.Agent.Health().Refused?.Count == 4, "four refusals");
            IReadOnlyDictionary<string, string> refused = a.Agent.Health().Refused!;
            Assert.Contains("not found", refused[unknown], StringComparison.Ordinal);
            Assert.Contains("SHA-256", refused[corrupt], StringComparison.Ordinal);
            Assert.Contains("is the one running already", refused[current], StringComparison.Ordinal);
            Assert.Contains("is not a backbone name", refused[path], StringComparison.Ordinal);
            Assert.All(refused.Values, r => Assert.DoesNotContain('\n', r));
            Assert.Equal(4, a.LogText.Split('\n').Count(l => l.Contains("command new_backbone id=", StringComparison.Ordinal) && l.Contains(" refused: ", StringComparison.Ordinal)));
            // The negative acknowledgement reaches the operator in the retained status, with the ids acknowledged as handled.
            await WaitUntil(() => RetainedStatusAsync().Result.Health?.Refused?.Count == 4, "the refusals in the retained status");
            Assert.Subset(new HashSet<string>((await RetainedStatusAsync()).Acked!), new HashSet<string> { unknown, corrupt, current, path });
            Assert.False(a.Running.IsCompleted); // still running
            Assert.Equal("digits", a.Agent.Backbone.Name);
        }
        Assert.Equal(before, Hash(Path.Combine(State, "state.db")));
        Assert.False(File.Exists(BackboneOverride.PathIn(State)));
        Assert.Empty(Directory.GetFiles(State, "state.*.db"));
    }

    [Fact]
    public async Task A_state_that_could_not_move_is_refused_before_anything_is_written()
    {
        await RolloutTestData.TeachAsync(_config, _dir, _random, perDigit: 2, givenSamples: 2); // 4 exemplars: no map, and one class has none
        await using RunningAgent a = await RunningAgent.StartAsync(_config, _dir);
        await Subscribed(a);
        string id = await SendAsync("digits-variant");
        await WaitUntil(() => a.Agent.Health().Refused?.ContainsKey(id) == true, "the refusal");
        Assert.Equal("the state cannot move to backbone 'digits-variant': class 'heard-from-the-fleet' has no exemplars and 4 exemplars + 0 calibration pairs "
            + "are too few for a map (8 needed); add calibration pairs ('edgecl rollout calibrate'), keep exemplars (learner.exemplar_budget_mb) or teach more",
            a.Agent.Health().Refused![id]);
        Assert.False(File.Exists(BackboneOverride.PathIn(State)));
        Assert.False(a.Running.IsCompleted);

        // The operator installs calibration pairs beside the new backbone: the same command is accepted now.
        string variant = Path.Combine(_dir, "models", "digits-variant");
        using (IEmbeddingBackbone oldBackbone = BackboneCatalog.Open("digits", SessionOptionsSpec.Default, null, _config.ModelsRoot))
        using (IEmbeddingBackbone newBackbone = BackboneCatalog.Open("digits-variant", SessionOptionsSpec.Default, null, _config.ModelsRoot))
        {
            int n = 10, p = oldBackbone.Space.Dimension, q = newBackbone.Space.Dimension;
            float[] oldRows = new float[n * p], newRows = new float[n * q];
            for (int i = 0; i < n; i++)
            {
                string file = Digit(i % 2 == 0 ? "7" : "9", 700 + i);
                oldBackbone.EmbedFile(file, oldRows.AsSpan(i * p, p));
                newBackbone.EmbedFile(file, newRows.AsSpan(i * q, q));
            }
            string path = CalibrationFile.PathFor(variant, oldBackbone.Space);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, CalibrationPairs.Create(oldBackbone.Space, newBackbone.Space, oldRows, newRows).Encode());
        }
        await SendAsync("digits-variant");
        await a.Running.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("digits-variant", File.ReadAllText(BackboneOverride.PathIn(State)).Trim());
    }

    [Fact]
    public async Task The_command_restarts_the_agent_on_the_new_backbone_with_its_classes_moved_and_announced_and_the_same_command_goes_back()
    {
        await TeachAsync();
        string oldSpace, newSpace;
        string id;
        await using (RunningAgent a = await RunningAgent.StartAsync(_config, _dir))
        {
            oldSpace = a.Agent.Backbone.Space.Id;
            await Subscribed(a);
            id = await SendAsync("digits-variant");
            await a.Running.WaitAsync(TimeSpan.FromSeconds(30)); // the loop ends by itself
            Assert.Equal("digits-variant", a.Agent.RestartBackbone);
            Assert.Contains("restarting on backbone digits-variant", a.LogText);
        }
        Assert.Equal("digits-variant", File.ReadAllText(BackboneOverride.PathIn(State)).Trim());

        // What edgecl run does next: start again (the config still says digits).
        await using (RunningAgent moved = await RunningAgent.StartAsync(_config, _dir))
        {
            newSpace = moved.Agent.Backbone.Space.Id;
            Assert.NotEqual(oldSpace, newSpace);
            Assert.Equal("digits-variant", moved.Agent.Backbone.Name);
            Assert.True(moved.Agent.BackboneOverridden);
            Assert.Equal("digits", moved.Agent.Health().ConfigModel);
            Assert.Contains("overrides the config's digits", moved.LogText);
            Assert.Contains("3 classes: 2 from exemplars, 0 blended, 1 mapped", moved.LogText);
            await WaitUntil(() => moved.Agent.Device.PendingOutboxRows == 0, "the migrated classes to be announced");
            var retained = await _broker.GetRetainedMessagesAsync();
            Assert.Equal(3, retained.Count(m => m.Topic.StartsWith($"edgecl/v1/test/{newSpace}/proto/{Device}/", StringComparison.Ordinal)));
            Assert.Equal(3, retained.Count(m => m.Topic.StartsWith($"edgecl/v1/test/{oldSpace}/proto/{Device}/", StringComparison.Ordinal))); // the old space coexists
            await WaitUntil(() => RetainedStatusAsync().Result is { Online: true } s && s.Space == newSpace && s.Acked?.Contains(id) == true, "the new space and the acknowledgement in the status");
            moved.Source.Add(new InputSample { Source = "queue", Origin = "query", FilePath = Digit("7", 99) });
            Assert.Equal("seven", moved.WaitForResults(1).Single().Label);

            // The way back: the config's backbone removes the override; the restart moves the state back.
            await SendAsync("digits");
            await moved.Running.WaitAsync(TimeSpan.FromSeconds(30));
        }
        Assert.False(File.Exists(BackboneOverride.PathIn(State)));
        await using (RunningAgent back = await RunningAgent.StartAsync(_config, _dir))
        {
            Assert.Equal(oldSpace, back.Agent.Backbone.Space.Id);
            Assert.Null(back.Agent.Health().ConfigModel);
            Assert.Equal(3, back.Agent.Device.OwnClassCount);
            Assert.Contains("rollout: state moved", back.LogText);
        }
    }

    [Fact]
    public async Task A_crash_after_the_override_is_written_or_between_the_renames_comes_back_consistent()
    {
        await TeachAsync();
        string oldSpace;
        await using (RunningAgent a = await RunningAgent.StartAsync(_config, _dir))
        {
            oldSpace = a.Agent.Backbone.Space.Id;
            await Subscribed(a);
            await SendAsync("digits-variant");
            await WaitUntil(() => File.Exists(BackboneOverride.PathIn(State)), "the override");
            await a.Agent.Device.AbortAsync(); // the power goes: no goodbye, the state closed as a crash would
        }
        // A cut in the middle of the migration's write left a torn pending file too.
        File.WriteAllBytes(Path.Combine(State, "state.db" + StateMigration.PendingSuffix), [1, 2, 3]);
        string newSpace;
        await using (RunningAgent moved = await RunningAgent.StartAsync(_config, _dir))
        {
            newSpace = moved.Agent.Backbone.Space.Id;
            Assert.NotEqual(oldSpace, newSpace);
            Assert.Equal(3, moved.Agent.Device.OwnClassCount);
            Assert.Equal(10, moved.Agent.ExemplarCount);
        }
        Assert.False(File.Exists(Path.Combine(State, "state.db" + StateMigration.PendingSuffix)));
        string archive = Assert.Single(Directory.GetFiles(State, "state.*.db"));
        Assert.Equal(oldSpace, StateStore.ReadSpace(archive)!.Id);

        // A cut between the two renames: the old state archived, the new one still under its pending name.
        File.Move(Path.Combine(State, "state.db"), Path.Combine(State, "state.db" + StateMigration.PendingSuffix));
        await using (RunningAgent again = await RunningAgent.StartAsync(_config, _dir))
        {
            Assert.Equal(newSpace, again.Agent.Backbone.Space.Id);
            Assert.Equal(3, again.Agent.Device.OwnClassCount);
            Assert.DoesNotContain("rollout: state moved", again.LogText);
        }
        Assert.Equal(newSpace, StateStore.ReadSpace(Path.Combine(State, "state.db"))!.Id);
    }

    [Fact]
    public async Task An_override_naming_a_backbone_that_is_gone_stops_the_start_with_one_line_naming_the_file()
    {
        Directory.CreateDirectory(State);
        BackboneOverride.Write(State, "digits-removed");
        var error = await Assert.ThrowsAsync<AgentStartException>(() => RunningAgent.StartAsync(_config, _dir));
        Assert.Contains("backbone 'digits-removed' cannot be opened", error.Message);
        Assert.Contains("backbone.override", error.Message);
        Assert.DoesNotContain('\n', error.Message);

        File.WriteAllText(BackboneOverride.PathIn(State), "../../etc\n");
        error = await Assert.ThrowsAsync<AgentStartException>(() => RunningAgent.StartAsync(_config, _dir));
        Assert.Contains("does not hold a backbone name", error.Message);
    }

    private static Task WaitUntil(Func<bool> condition, string what) => AgentTestData.WaitUntil(condition, what, 30);
}
