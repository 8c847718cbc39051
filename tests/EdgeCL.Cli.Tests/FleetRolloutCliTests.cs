using System.Text.Json;
using EdgeCL.Core.Fleet;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Sync.Broker;
using EdgeCL.Sync.Topics;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeCL.Cli.Tests;

/// <summary>
/// <c>edgecl fleet rollout</c> against two real agents (<c>edgecl run</c> processes) on a broker: one has the new backbone
/// installed and moves (its process restarts the agent in-process, the state migrates), the other has not and refuses;
/// the rollout prints both and exits non-zero naming the one that did not move.
/// </summary>
public sealed class FleetRolloutCliTests : IDisposable
{
    private readonly TinyWorld _world = new();

    public void Dispose() => _world.Dispose();

    /// <summary>A second backbone: the tiny model with other input normalisation (another space of the same size).</summary>
    private static void InstallVariant(string models)
    {
        string tiny = Path.Combine(models, "tiny");
        BackboneManifest manifest = BackboneCatalog.LoadManifest(Path.Combine(tiny, "backbone.json"));
        string dir = Directory.CreateDirectory(Path.Combine(models, "tiny2")).FullName;
        File.Copy(Path.Combine(tiny, "tiny.onnx"), Path.Combine(dir, "tiny.onnx"));
        manifest = manifest with { Name = "tiny2", Image = manifest.Image! with { Mean = [0.4f] } };
        File.WriteAllText(Path.Combine(dir, "backbone.json"), JsonSerializer.Serialize(manifest, BackboneJsonContext.Default.BackboneManifest));
    }

    private string Device(string id, string models, int port, string? inbox = null)
    {
        File.WriteAllText(Path.Combine(_world.Root, id + ".pw"), "pw-" + id);
        using (var signer = EntrySigner.Create(id))
        {
            File.WriteAllText(Path.Combine(_world.Root, id + "-key.pem"), signer.ExportPrivateKeyPem());
            File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(_world.Root, "trust")).FullName, id + ".pem"), signer.ExportPublicKeyPem());
        }
        string box = inbox ?? Directory.CreateDirectory(Path.Combine(_world.Root, id + "-inbox")).FullName;
        string config = Path.Combine(_world.Root, id + ".json");
        File.WriteAllText(config, $$"""
            { "device_id": "{{id}}", "fleet": "f", "backbone": "tiny", "models_root": "{{models}}", "state_dir": "{{id}}-state",
              "learner": { "exemplar_budget_mb": 1 },
              "sync": { "broker": "mqtt://127.0.0.1:{{port}}", "user": "{{id}}", "password_file": "{{id}}.pw", "trust_dir": "trust", "signing_key": "{{id}}-key.pem" },
              "sources": [ { "type": "folder", "path": "{{box}}", "labels_from_folders": true, "poll_ms": 50 } ],
              "status": { "interval_seconds": 0.3 } }
            """);
        return config;
    }

    [Fact]
    public async Task Rollout_MovesTheDeviceThatHasTheBackboneAndReportsTheOneThatRefuses()
    {
        InstallVariant(_world.Models);
        string otherModels = Path.Combine(_world.Root, "models-without-tiny2");
        Directory.CreateDirectory(Path.Combine(otherModels, "tiny"));
        foreach (string file in Directory.GetFiles(Path.Combine(_world.Models, "tiny")))
            File.Copy(file, Path.Combine(otherModels, "tiny", Path.GetFileName(file)));

        string trust = Path.Combine(_world.Root, "trust");
        var made = CliHarness.Run("fleet", "operator-key", "alice", "--out", Path.Combine(trust, "operators"));
        Assert.True(made.Code == ExitCodes.Success, made.Err);
        await using var broker = new EmbeddedBroker(new EmbeddedBrokerOptions
        {
            Port = 0, Users = [BrokerUser.WithPassword("d1", "pw-d1"), BrokerUser.WithPassword("d2", "pw-d2"), BrokerUser.WithPassword("ops", "pw-ops", isOperator: true)],
        });
        await broker.StartAsync();
        // d1 learns the "left" images (kept as exemplars); d2 has no tiny2 installed.
        string inbox = Directory.CreateDirectory(Path.Combine(_world.Root, "d1-inbox", "left")).FullName;
        foreach (string image in Directory.GetFiles(Path.Combine(_world.Data, "left")))
            File.Copy(image, Path.Combine(inbox, Path.GetFileName(image)));
        string home = Directory.CreateDirectory(Path.Combine(_world.Root, "home")).FullName;
        string d1Config = Device("d1", _world.Models, broker.Port, Path.GetDirectoryName(inbox));
        using AgentProcess d1 = AgentProcess.Start(home, ["run", "--config", d1Config]);
        using AgentProcess d2 = AgentProcess.Start(home, ["run", "--config", Device("d2", otherModels, broker.Port)]);
        d1.WaitFor("learned label=left count=6");
        d2.WaitFor("started device=d2");

        string[] common = ["--fleet", "f", "--broker", $"mqtt://127.0.0.1:{broker.Port}", "--user", "ops", "--password", "pw-ops", "--operator-key", Path.Combine(trust, "operators", "alice.key")];
        var run = CliHarness.Run(["fleet", "rollout", "--backbone", "tiny2", "--devices", "d1,d2", "--timeout", "60", "--retire", .. common]);

        Assert.True(run.Code == ExitCodes.Failure, run.Out + run.Err);
        Assert.Contains("d1: moved: space ", run.Out, StringComparison.Ordinal);
        Assert.Contains("d2: refused: backbone 'tiny2' cannot be used", run.Out, StringComparison.Ordinal);
        string[] table = run.Out.Split('\n').SkipWhile(l => !l.StartsWith("device ", StringComparison.Ordinal)).Where(l => l.Length > 0).ToArray();
        Assert.Equal(3, table.Length);
        Assert.Matches(@"^d1\s+[0-9a-f]{12}\s+[0-9a-f]{12}\s+moved$", table[1]);
        Assert.Matches(@"^d2\s+[0-9a-f]{12}\s+-\s+refused: backbone 'tiny2' cannot be used: Backbone 'tiny2' not found", table[2]);
        Assert.Equal("edgecl: error: 1 of 2 device(s) did not move to tiny2: d2 (refused); nothing retired", run.Err.Trim());

        // d1's process restarted its agent on tiny2 and moved its state; d2 runs on as it was.
        Assert.False(d1.Process.HasExited);
        d1.WaitFor("restarting on backbone tiny2");
        d1.WaitFor("rollout: state moved from space");
        d1.WaitFor("started device=d1 fleet=f backbone=tiny2");
        Assert.Equal("tiny2", File.ReadAllText(Path.Combine(_world.Root, "d1-state", "backbone.override")).Trim());
        Assert.Single(Directory.GetFiles(Path.Combine(_world.Root, "d1-state"), "state.*.db"));
        // The restarted agent answers `edgecl status` (its heartbeat socket came back) and says where its backbone comes from.
        DateTime until = DateTime.UtcNow.AddSeconds(20);
        (int Code, string Out, string Err) status;
        do
            status = CliHarness.Run("status", "--config", d1Config);
        while (!status.Out.Contains("model       tiny2", StringComparison.Ordinal) && DateTime.UtcNow < until);
        Assert.Contains("(chosen by a new_backbone command in state_dir/backbone.override; the config says tiny)", status.Out, StringComparison.Ordinal);
        var check = CliHarness.Run("run", "--config", d1Config, "--check");
        Assert.True(check.Code == ExitCodes.Success, check.Err);
        Assert.Contains("backbone tiny, overridden by backbone.override: tiny2", check.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_world.Root, "d2-state", "backbone.override")));
        Assert.False(d2.Process.HasExited);
        Assert.DoesNotContain("ignored a command", d2.Output, StringComparison.Ordinal); // the cleared retained command is no malformed one

        string oldSpace = table[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var retained = await broker.GetRetainedMessagesAsync();
        Assert.Contains(retained, m => m.Topic.StartsWith($"edgecl/v1/f/{oldSpace}", StringComparison.Ordinal) && m.Topic.Contains("/proto/d1/", StringComparison.Ordinal)); // both spaces meanwhile

        // A device that was unplugged before the rollout (and never had a status) left the only entries of "right" and
        // "down" in the old space.
        string fullOld = retained.First(m => m.Topic.StartsWith($"edgecl/v1/f/{oldSpace}", StringComparison.Ordinal)).Topic.Split('/')[3];
        string carryTrust = Directory.CreateDirectory(Path.Combine(_world.Root, "carry-trust")).FullName;
        using (IMqttClient op = new MqttClientFactory().CreateMqttClient())
        using (EntrySigner d9 = EntrySigner.Create("d9"))
        {
            File.WriteAllText(Path.Combine(carryTrust, "d9.pem"), d9.ExportPublicKeyPem());
            await op.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port).WithClientId("ops-test").WithCredentials("ops", "pw-ops").Build());
            foreach ((string label, float[] mean) in new[] { ("right", new float[] { 1, 2, 3, 4 }), ("down", [4, 3, 2, 1]) })
            {
                var orphan = new FleetEntry { SpaceId = fullOld, DeviceId = "d9", Label = label, Version = 1, Count = 3, Mean = mean };
                var put = await op.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(FleetTopics.Prototype("f", fullOld, "d9", label))
                    .WithPayload(FleetEntryCodec.Encode(orphan, FleetVectorType.Float32, d9)).WithRetainFlag().WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
                Assert.True(put.IsSuccess);
            }
            await op.DisconnectAsync();
        }

        // tiny2 installed on d2 too: again, with --retire. d1 already runs it and is sent nothing; d2 moves; then no device
        // runs the old space any more, but "right" and "down" exist only there: the space is kept, and the command says why.
        foreach (string file in Directory.GetFiles(Path.Combine(_world.Models, "tiny2")))
            File.Copy(file, Path.Combine(Directory.CreateDirectory(Path.Combine(otherModels, "tiny2")).FullName, Path.GetFileName(file)));
        var again = CliHarness.Run(["fleet", "rollout", "--backbone", "tiny2", "--devices", "d1,d2", "--timeout", "60", "--retire", .. common]);
        Assert.True(again.Code == ExitCodes.Failure, again.Out + again.Err);
        Assert.Contains("d1: already runs it", again.Out, StringComparison.Ordinal);
        Assert.Contains("d2: moved: space ", again.Out, StringComparison.Ordinal);
        Assert.Contains($"space {oldSpace} not retired: 2 class(es) exist only there: 'down' (d9), 'right' (d9).", again.Out, StringComparison.Ordinal);
        Assert.Equal($"edgecl: error: not retired: space {oldSpace} (2 class(es) only there); carry them into the new space (edgecl fleet carry), teach them again on a device that moved, move the devices that hold them, or pass --allow-loss to drop them",
            again.Err.Trim());
        retained = await broker.GetRetainedMessagesAsync();
        Assert.Contains(retained, m => m.Topic.StartsWith($"edgecl/v1/f/{oldSpace}", StringComparison.Ordinal) && m.Topic.EndsWith("/proto/d9/right", StringComparison.Ordinal));

        // The operator carries "right" into the new space (a map fitted on calibration pairs of the two spaces: here the
        // identity), and the retirement then misses only "down".
        string fullNew = retained.First(m => m.Topic.Contains("/proto/d1/", StringComparison.Ordinal) && !m.Topic.Contains(fullOld, StringComparison.Ordinal)).Topic.Split('/')[3];
        var random = new Random(9);
        float[] pairs = [.. Enumerable.Range(0, 40).Select(_ => (float)random.NextDouble())];
        string calibration = Path.Combine(_world.Root, "old.eccal");
        File.WriteAllBytes(calibration, EdgeCL.Core.Rollout.CalibrationPairs.Create(new EdgeCL.Core.Vectors.EmbeddingSpace(fullOld, 4), new EdgeCL.Core.Vectors.EmbeddingSpace(fullNew, 4), pairs, pairs).Encode());
        Assert.Equal(ExitCodes.Success, CliHarness.Run("fleet", "carrier-key", "carrier", "--out", carryTrust).Code);
        var carry = CliHarness.Run("fleet", "carry", "--fleet", "f", "--broker", $"mqtt://127.0.0.1:{broker.Port}", "--user", "ops", "--password", "pw-ops",
            "--calibration", calibration, "--trust", carryTrust, "--carrier-key", Path.Combine(carryTrust, "carrier.key"), "--classes", "right", "--quiet-ms", "300");
        Assert.True(carry.Code == ExitCodes.Success, carry.Out + carry.Err);
        Assert.Contains("carry 'right' (d9): n=3 → carrier v1", carry.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("'down'", carry.Out, StringComparison.Ordinal);
        var kept = CliHarness.Run(["fleet", "rollout", "--backbone", "tiny2", "--devices", "d1,d2", "--timeout", "60", "--retire", .. common]);
        Assert.True(kept.Code == ExitCodes.Failure, kept.Out + kept.Err);
        Assert.Contains($"space {oldSpace} not retired: 1 class(es) exist only there: 'down' (d9).", kept.Out, StringComparison.Ordinal);

        // The operator accepts the loss of "down": every target already runs tiny2, and the space left over from the last run is retired.
        var drop = CliHarness.Run(["fleet", "rollout", "--backbone", "tiny2", "--devices", "d1,d2", "--timeout", "60", "--retire", "--allow-loss", .. common]);
        Assert.True(drop.Code == ExitCodes.Success, drop.Out + drop.Err);
        Assert.Contains($"space {oldSpace}: --allow-loss drops 1 class(es) that exist only there: 'down' (d9).", drop.Out, StringComparison.Ordinal);
        Assert.Matches($@"space {oldSpace} retired: [1-9][0-9]* retained topic\(s\) cleared", drop.Out);
        retained = await broker.GetRetainedMessagesAsync();
        Assert.DoesNotContain(retained, m => m.Topic.StartsWith($"edgecl/v1/f/{oldSpace}", StringComparison.Ordinal));
        Assert.Contains(retained, m => m.Topic.Contains("/proto/d1/left", StringComparison.Ordinal)); // in the new space
        Assert.Contains(retained, m => m.Topic == FleetTopics.Prototype("f", fullNew, "carrier", "right")); // carried there

        Assert.Equal(0, d1.Stop());
        Assert.Equal(0, d2.Stop());
    }

    [Theory]
    [InlineData("--devices and --all", new[] { "--backbone", "tiny2", "--devices", "d1", "--all" }, "--devices a,b or --all (one of them)")]
    [InlineData("no targets", new[] { "--backbone", "tiny2" }, "--devices a,b or --all (one of them)")]
    [InlineData("a path", new[] { "--backbone", "../tiny2", "--all" }, "is not a backbone name")]
    [InlineData("a bad timeout", new[] { "--backbone", "tiny2", "--all", "--timeout", "0" }, "--timeout 0 must be")]
    [InlineData("--allow-loss alone", new[] { "--backbone", "tiny2", "--all", "--allow-loss" }, "--allow-loss applies only with --retire")]
    public void Rollout_BadInput_OneLineAndUsageExit(string what, string[] args, string expected)
    {
        var run = CliHarness.Run(["fleet", "rollout", "--broker", "mqtt://127.0.0.1:1", "--operator-key", "nokey.key", .. args]);
        Assert.True(run.Code == ExitCodes.Usage, $"{what}: {run.Out}{run.Err}");
        Assert.Single(run.Err.Trim().Split('\n'));
        Assert.Contains(expected, run.Err, StringComparison.Ordinal);
    }
}
