using EdgeCL.Device.Agent;
using EdgeCL.Device.Config;
using EdgeCL.Device.Sources;
using EdgeCL.Sync.Commands;
using EdgeCL.Sync.Status;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeCL.Device.Tests.Agent;

public sealed class DeviceAgentTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-agent-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Learns_durably_recognises_and_keeps_everything_across_a_restart()
    {
        var random = new Random(1);
        string state = Path.Combine(_dir, "state");
        DeviceConfig config = AgentTestData.Config("dev-a", state);
        await using (RunningAgent a = await RunningAgent.StartAsync(config, _dir))
        {
            for (int c = 0; c < 3; c++)
                for (int k = 0; k < 3; k++)
                    a.Source.Add(AgentTestData.Sample(c, random), label: $"class{c}");
            for (int c = 0; c < 3; c++)
                a.Source.Add(AgentTestData.Sample(c, random), origin: $"query{c}");
            IReadOnlyList<AgentResult> results = a.WaitForResults(12);
            Assert.All(results.Take(9), r => Assert.Equal(AgentOutcome.Learned, r.Outcome));
            Assert.Equal(["class0", "class1", "class2"], results.Skip(9).Select(r => r.Label));
            Assert.Contains("learned label=class0 count=1 version=1 ack=1", a.LogText);
            Assert.DoesNotContain("recognised label=", a.LogText); // per-recognition lines are debug (#18); the summary carries counts
        }

        await using (RunningAgent again = await RunningAgent.StartAsync(config, _dir))
        {
            Assert.Equal(3, again.Agent.Device.OwnClassCount);
            again.Source.Add(AgentTestData.Sample(1, random));
            Assert.Equal("class1", again.WaitForResults(1).Single().Label);
            await Task.Delay(400);
            LocalStatus status = StatusFile.Read(again.Agent.StatusPath);
            Assert.Equal("dev-a", status.DeviceId);
            Assert.Equal(3, status.Health!.OwnClasses);
            Assert.Equal("digits", status.Health.Model);
            Assert.Equal("ncm-test-centred", status.Health.Learner);
        }
    }

    [Fact]
    public async Task Bad_input_is_rejected_with_a_reason_and_changes_nothing()
    {
        var random = new Random(2);
        DeviceConfig config = AgentTestData.Config("dev-b", Path.Combine(_dir, "state"));
        await using RunningAgent a = await RunningAgent.StartAsync(config, _dir);
        a.Source.Add(AgentTestData.Sample(0, random), label: "zero");
        float[] nan = AgentTestData.Sample(0, random);
        nan[5] = float.NaN;
        a.Source.Add(nan, label: "zero", origin: "nan");
        a.Source.Add(new float[10], label: "zero", origin: "short");
        string corrupt = Path.Combine(_dir, "corrupt.png");
        File.WriteAllBytes(corrupt, [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        bool? handled = null;
        a.Source.Add(new InputSample { Source = "queue", Origin = corrupt, FilePath = corrupt, Label = "zero", Handled = ok => handled = ok });
        a.Source.Add(AgentTestData.Sample(0, random), label: "bad/label\n", origin: "label");
        IReadOnlyList<AgentResult> results = a.WaitForResults(5);
        Assert.Equal(AgentOutcome.Learned, results[0].Outcome);
        Assert.All(results.Skip(1), r => Assert.Equal(AgentOutcome.Rejected, r.Outcome));
        Assert.False(handled);
        Assert.Equal(1, a.Agent.Device.FleetPrototypes().SummaryAt(0).Count);
        DeviceHealth health = a.Agent.Health();
        Assert.Equal(2, health.Rejected!["invalid-embedding"]);
        Assert.Equal(1, health.Rejected["decode"]);
        Assert.Equal(1, health.Rejected["label"]);
        foreach (string line in a.LogText.Split('\n').Where(l => l.Contains("rejected")))
            Assert.Matches("rejected reason=[a-z-]+ source=queue origin=\\S+: .+", line);
    }

    [Fact]
    public async Task A_file_learned_again_after_a_crash_is_not_counted_twice()
    {
        string image = Path.Combine(_dir, "seven.pgm");
        File.Copy(Path.Combine(AgentTestData.Models, "digits", "samples", "7_0000.pgm"), image);
        DeviceConfig config = AgentTestData.Config("dev-c", Path.Combine(_dir, "state"));
        await using RunningAgent a = await RunningAgent.StartAsync(config, _dir);
        a.Source.Add(new InputSample { Source = "queue", Origin = image, FilePath = image, Label = "seven" });
        a.Source.Add(new InputSample { Source = "queue", Origin = image, FilePath = image, Label = "seven" });
        IReadOnlyList<AgentResult> results = a.WaitForResults(2);
        Assert.Equal([AgentOutcome.Learned, AgentOutcome.Duplicate], results.Select(r => r.Outcome));
        Assert.Equal(1, a.Agent.Device.FleetPrototypes().SummaryAt(0).Count);
    }

    [Fact]
    public async Task Teach_session_turns_the_next_samples_into_examples_then_ends()
    {
        var random = new Random(3);
        DeviceConfig config = AgentTestData.Config("dev-d", Path.Combine(_dir, "state"));
        await using RunningAgent a = await RunningAgent.StartAsync(config, _dir);
        a.Source.Add(AgentTestData.Sample(0, random), label: "zero");
        a.WaitForResults(1);
        a.Agent.Teach("one", "test");
        await Task.Delay(100);
        for (int i = 0; i < 3; i++)
            a.Source.Add(AgentTestData.Sample(1, random));
        IReadOnlyList<AgentResult> results = a.WaitForResults(4);
        Assert.Equal([AgentOutcome.Learned, AgentOutcome.Learned, AgentOutcome.Recognised], results.Skip(1).Select(r => r.Outcome));
        Assert.Equal("one", results[3].Label);
        Assert.Contains("teaching ended label=one learned=2 reason=shots taken", a.LogText);
    }

    [Fact]
    public async Task Simulated_button_hold_teaches_the_configured_class()
    {
        var random = new Random(4);
        var panel = new FakePanel();
        DeviceConfig config = AgentTestData.Config("dev-e", Path.Combine(_dir, "state"), gpio: new GpioSettings { Driver = "simulated" });
        config.Teach.Label = "wave";
        await using RunningAgent a = await RunningAgent.StartAsync(config, _dir, (_, _, _) => panel);
        panel.Hold();
        await WaitUntil(() => panel.Learning, "the learning light");
        a.Source.Add(AgentTestData.Sample(2, random));
        a.Source.Add(AgentTestData.Sample(2, random));
        IReadOnlyList<AgentResult> results = a.WaitForResults(2);
        Assert.All(results, r => Assert.Equal("wave", r.Label));
        await WaitUntil(() => !panel.Learning, "the learning light to go off");
    }

    [Fact]
    public async Task Long_press_marks_a_false_alarm_that_is_then_answered_unknown()
    {
        var random = new Random(8);
        var panel = new FakePanel();
        DeviceConfig config = AgentTestData.Config("dev-f", Path.Combine(_dir, "state"), gpio: new GpioSettings { Driver = "simulated" }, method: "ncm-centred");
        config.Teach.Label = "wave";
        await using RunningAgent a = await RunningAgent.StartAsync(config, _dir, (_, _, _) => panel);
        // Nothing recognised yet: a long press has nothing to retract and teaches nothing.
        panel.LongHold();
        for (int k = 0; k < 4; k++)
        {
            a.Source.Add(AgentTestData.Sample(0, random), label: "hello");
            a.Source.Add(AgentTestData.Sample(1, random), label: "stop");
        }
        Assert.All(a.WaitForResults(8), r => Assert.Equal(AgentOutcome.Learned, r.Outcome));
        Assert.False(a.Agent.Device.FleetPrototypes().Contains(Core.Learning.OpenSet.ReservedLabels.Background));

        // Something between "hello" and an untaught sound: accepted as hello, a false alarm.
        float[] lookalike = AgentTestData.Sample(0, random).Zip(AgentTestData.Sample(2, random), (x, y) => 0.75f * x + 0.25f * y).ToArray();
        a.Source.Add(lookalike);
        AgentResult first = a.WaitForResults(9)[^1];
        Assert.Equal((AgentOutcome.Recognised, "hello"), (first.Outcome, first.Label));
        panel.LongHold();
        AgentResult learned = a.WaitForResults(10)[^1];
        Assert.Equal((AgentOutcome.Learned, "_background:hello"), (learned.Outcome, learned.Label)); // the negative class of what it was answered as
        Assert.False(panel.Learning); // the teaching the first hold started was cancelled
        a.Source.Add(lookalike);
        Assert.Equal(AgentOutcome.Unknown, a.WaitForResults(11)[^1].Outcome);
        a.Source.Add(AgentTestData.Sample(0, random));
        AgentResult again = a.WaitForResults(12)[^1];
        Assert.Equal((AgentOutcome.Recognised, "hello"), (again.Outcome, again.Label));
    }

    [Fact]
    public async Task Two_agents_share_what_one_learns_through_the_embedded_broker_and_obey_commands()
    {
        var random = new Random(5);
        int port = AgentTestData.FreePort();
        (Dictionary<string, string> keys, string trust) = AgentTestData.Keys(_dir, "agent-a", "agent-b");
        using EdgeCL.Core.Fleet.EntrySigner operatorKey = EdgeCL.Core.Fleet.EntrySigner.Create("ops");
        Directory.CreateDirectory(Path.Combine(trust, "operators"));
        File.WriteAllText(Path.Combine(trust, "operators", "ops.pem"), operatorKey.ExportPublicKeyPem());
        string users = Path.Combine(_dir, "users");
        EdgeCL.Sync.Broker.BrokerUser.WriteToFile(users, "agent-a", "pa", isOperator: false);
        EdgeCL.Sync.Broker.BrokerUser.WriteToFile(users, "agent-b", "pb", isOperator: false);
        EdgeCL.Sync.Broker.BrokerUser.WriteToFile(users, "ops", "po", isOperator: true);
        File.WriteAllText(Path.Combine(_dir, "pa"), "pa\n");
        File.WriteAllText(Path.Combine(_dir, "pb"), "pb\n");
        DeviceConfig configA = AgentTestData.Config("agent-a", Path.Combine(_dir, "a"), new SyncSettings
        {
            Broker = "embedded", EmbeddedPort = port, EmbeddedUsersFile = users, PasswordFile = "pa", SigningKey = keys["agent-a"], TrustDir = trust,
        });
        DeviceConfig configB = AgentTestData.Config("agent-b", Path.Combine(_dir, "b"), new SyncSettings
        {
            Broker = $"mqtt://127.0.0.1:{port}", User = "agent-b", PasswordFile = "pb", SigningKey = keys["agent-b"], TrustDir = trust,
        });
        await using RunningAgent a = await RunningAgent.StartAsync(configA, _dir);
        await using RunningAgent b = await RunningAgent.StartAsync(configB, _dir);
        for (int k = 0; k < 3; k++)
        {
            a.Source.Add(AgentTestData.Sample(0, random), label: "hello");
            a.Source.Add(AgentTestData.Sample(1, random), label: "stop");
        }
        a.WaitForResults(6);
        await WaitUntil(() => b.Agent.Device.FleetPrototypes().ClassCount == 2, "agent-b to receive both classes");
        b.Source.Add(AgentTestData.Sample(1, random));
        b.Source.Add(AgentTestData.Sample(0, random));
        Assert.Equal(["stop", "hello"], b.WaitForResults(2).Select(r => r.Label));

        // An operator's commands, signed with the key whose public half is in trust_dir/operators: teach on b, then reset its adaptation.
        using IMqttClient ops = new MqttClientFactory().CreateMqttClient();
        await ops.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithCredentials("ops", "po").WithClientId("ops").Build());
        await ops.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("edgecl/v1/test/cmd/agent-b")
            .WithPayload(SignedCommands.Sign(new FleetCommand(FleetCommandKind.Teach, "agent-b", Label: "wave"), "test", operatorKey, DateTimeOffset.UtcNow.AddMinutes(5))).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        await WaitUntil(() => b.LogText.Contains("teaching label=wave"), "agent-b to start teaching");
        b.Source.Add(AgentTestData.Sample(2, random));
        b.Source.Add(AgentTestData.Sample(2, random));
        Assert.All(b.WaitForResults(4).Skip(2), r => Assert.Equal((AgentOutcome.Learned, "wave"), (r.Outcome, r.Label)));
        await WaitUntil(() => a.Agent.Device.FleetPrototypes().ClassCount == 3, "agent-a to receive b's class");
        await ops.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("edgecl/v1/test/cmd/agent-b")
            .WithPayload(SignedCommands.Sign(new FleetCommand(FleetCommandKind.ResetAdaptation, "agent-b"), "test", operatorKey, DateTimeOffset.UtcNow.AddMinutes(5))).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        await WaitUntil(() => b.Agent.Health().AdaptationResets == 1, "agent-b to reset its adaptation");

        // b's retained status carries its health; a sees it.
        await WaitUntil(() => a.Agent.Device.Client.DeviceStatuses.TryGetValue("agent-b", out DeviceStatus? s) && s.Health?.OwnClasses == 1, "agent-b's health in its retained status");
        await ops.DisconnectAsync();
    }

    [Fact]
    public async Task A_broker_that_is_down_at_start_does_not_stop_learning_and_sync_resumes_when_it_is_up()
    {
        var random = new Random(6);
        int port = AgentTestData.FreePort();
        File.WriteAllText(Path.Combine(_dir, "pw"), "pw\n");
        DeviceConfig config = AgentTestData.Config("late-sync", Path.Combine(_dir, "state"), new SyncSettings
        {
            Broker = $"mqtt://127.0.0.1:{port}", User = "late-sync", PasswordFile = "pw",
        });
        await using RunningAgent a = await RunningAgent.StartAsync(config, _dir);
        a.Source.Add(AgentTestData.Sample(0, random), label: "zero");
        a.Source.Add(AgentTestData.Sample(1, random), label: "one");
        Assert.All(a.WaitForResults(2), r => Assert.Equal(AgentOutcome.Learned, r.Outcome));
        Assert.Equal(2, a.Agent.Device.PendingOutboxRows);

        await using var broker = new EdgeCL.Sync.Broker.EmbeddedBroker(new EdgeCL.Sync.Broker.EmbeddedBrokerOptions
        {
            Port = port, Users = [EdgeCL.Sync.Broker.BrokerUser.WithPassword("late-sync", "pw")],
        });
        await broker.StartAsync();
        await WaitUntil(() => a.Agent.Device.PendingOutboxRows == 0, "the outbox to drain once the broker is up", 40);
        var retained = await broker.GetRetainedMessagesAsync();
        Assert.Equal(2, retained.Count(m => m.Topic.Contains("/proto/late-sync/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_missing_model_stops_the_start_with_one_line()
    {
        DeviceConfig config = AgentTestData.Config("no-model", Path.Combine(_dir, "state"));
        config.Backbone = "no-such-backbone";
        var ex = await Assert.ThrowsAsync<AgentStartException>(() => RunningAgent.StartAsync(config, _dir));
        Assert.Contains("backbone 'no-such-backbone' cannot be opened", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public async Task Adaptation_state_is_checkpointed_and_restored_after_a_restart()
    {
        var random = new Random(7);
        DeviceConfig config = AgentTestData.Config("ckpt", Path.Combine(_dir, "state"));
        await using (RunningAgent a = await RunningAgent.StartAsync(config, _dir))
        {
            a.Source.Add(AgentTestData.Sample(0, random), label: "zero");
            a.Source.Add(AgentTestData.Sample(1, random), label: "one");
            for (int i = 0; i < 20; i++)
                a.Source.Add(AgentTestData.Sample(i % 2, random));
            a.WaitForResults(22);
        }
        string checkpoint = Path.Combine(_dir, "state", "adaptation.ckpt");
        Assert.True(File.Exists(checkpoint), "no checkpoint written at the clean stop");
        await using (RunningAgent again = await RunningAgent.StartAsync(config, _dir))
            Assert.Contains("adaptation checkpoint restored", again.LogText);
        File.WriteAllBytes(checkpoint, [1, 2, 3]);
        await using (RunningAgent corrupt = await RunningAgent.StartAsync(config, _dir))
        {
            Assert.Contains("not restored", corrupt.LogText);
            Assert.Equal(2, corrupt.Agent.Device.OwnClassCount);
            Assert.True(File.Exists(checkpoint + ".bad"));
        }
    }

    private static Task WaitUntil(Func<bool> condition, string what, double seconds = 20) => AgentTestData.WaitUntil(condition, what, seconds);

    private sealed class FakePanel : IAgentPanel
    {
        public event EventHandler? TeachHeld;

        public event EventHandler? NotThisHeld;

        public bool Learning { get; private set; }

        public void Hold() => TeachHeld?.Invoke(this, EventArgs.Empty);

        // A press held on past the "not this" time raises both, as DeviceGpio does.
        public void LongHold()
        {
            TeachHeld?.Invoke(this, EventArgs.Empty);
            NotThisHeld?.Invoke(this, EventArgs.Empty);
        }

        public void Show(bool learning, bool adapting, bool synced, bool error) => Learning = learning;

        public void Dispose()
        {
        }
    }
}
