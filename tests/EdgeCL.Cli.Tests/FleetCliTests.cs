using System.Text.Json;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Vectors;
using EdgeCL.Sync.Broker;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Payloads;
using EdgeCL.Sync.State;
using EdgeCL.Sync.Topics;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeCL.Cli.Tests;

/// <summary><c>edgecl broker</c>, <c>edgecl fleet status</c> and <c>edgecl fleet simulate</c> through Program.Main.</summary>
public sealed class FleetCliTests : IDisposable
{
    private static readonly EmbeddingSpace Space = new("c1c1", 4);
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-fleet-cli-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Broker_UsersFile_AcceptsDeviceRefusesWrongPasswordAndKeepsRetainedAcrossRestart()
    {
        string users = Path.Combine(_dir, "users");
        File.WriteAllText(users, "# devices\nd0:pw-d0\nops:pw-ops:operator\n");
        // A clear-text file is refused with the command that fixes it; `broker passwd` replaces each line by its hash.
        var clear = CliHarness.Run("broker", "--port", "0", "--users", users);
        Assert.Equal(ExitCodes.Usage, clear.Code);
        Assert.Single(clear.Err.Trim().Split('\n'));
        Assert.Contains($"edgecl broker passwd {users} d0", clear.Err);
        Assert.Equal(ExitCodes.Success, CliHarness.RunWithInput("pw-d0\n", "broker", "passwd", users, "d0").Code);
        Assert.Equal(ExitCodes.Success, CliHarness.RunWithInput("pw-ops\n", "broker", "passwd", users, "ops", "--operator").Code);
        string[] stored = File.ReadAllLines(users);
        Assert.DoesNotContain(stored, l => l.Contains("pw-d0", StringComparison.Ordinal) || l.Contains("pw-ops", StringComparison.Ordinal));
        Assert.Contains(stored, l => l.StartsWith("ops:pbkdf2-sha256$", StringComparison.Ordinal) && l.EndsWith(":operator", StringComparison.Ordinal));
        string data = Directory.CreateDirectory(Path.Combine(_dir, "data")).FullName;
        await using (RunningCommand broker = RunningCommand.Start("broker", "--port", "0", "--users", users, "--data", data))
        {
            using EntrySigner signer = EntrySigner.Create("d0");
            using var trust = new TrustStore();
            trust.Add("d0", signer.ExportPublicKeyPem());
            await using (var device = new FleetSyncClient(
                new FleetSyncOptions { Fleet = "fleet1", DeviceId = "d0", Space = Space, Broker = new FleetBrokerOptions { Host = "127.0.0.1", Port = broker.Port, UserName = "d0", Password = "pw-d0" } },
                new SignedEntryCodec(signer, trust), new FleetStateTarget(new FleetState(Space))))
            {
                await device.PublishAsync(Entry("d0", "cat", 1));
                await device.StartAsync();
                await device.WaitUntilConnectedAsync().WaitAsync(TimeSpan.FromSeconds(15)); // connected and outbox drained (PUBACK)
            }

            var refused = CliHarness.Run("fleet", "status", "--broker", $"mqtt://127.0.0.1:{broker.Port}", "--user", "ops", "--password", "wrong");
            Assert.Equal(ExitCodes.Usage, refused.Code);
            Assert.Single(refused.Err.Trim().Split('\n'));
            Assert.Contains("refused the login", refused.Err);
            await broker.Err.WaitForAsync("wrong password", TimeSpan.FromSeconds(10));
            Assert.Single(broker.Err.ToString().Trim().Split('\n'));

            Assert.Equal(ExitCodes.Success, await broker.StopAsync());
            Assert.Contains("retained entries saved", broker.Out.ToString());
        }

        await using RunningCommand again = RunningCommand.Start("broker", "--port", "0", "--users", users, "--data", data);
        var status = CliHarness.Run("fleet", "status", "--broker", $"mqtt://127.0.0.1:{again.Port}", "--user", "ops", "--password", "pw-ops", "--quiet-ms", "1500", "--json");
        Assert.True(status.Code == ExitCodes.Success, status.Err);
        using JsonDocument doc = JsonDocument.Parse(status.Out);
        JsonElement d0 = Assert.Single(doc.RootElement.GetProperty("devices").EnumerateArray());
        Assert.Equal("d0", d0.GetProperty("device").GetString());
        Assert.False(d0.GetProperty("online").GetBoolean()); // its goodbye was retained too
        JsonElement cat = Assert.Single(d0.GetProperty("classes").EnumerateArray());
        Assert.Equal("cat", cat.GetProperty("label").GetString());
        Assert.Equal("unchecked", cat.GetProperty("signature").GetString());
    }

    [Fact]
    public async Task FleetStatus_TrustFolder_ShowsVerifiedEntriesAndCountsDrops()
    {
        await using var broker = new EmbeddedBroker(new EmbeddedBrokerOptions
        {
            Port = 0, Users = [BrokerUser.WithPassword("ops", "pw-ops", isOperator: true)],
        });
        await broker.StartAsync();
        using EntrySigner d0 = EntrySigner.Create("d0"), d1 = EntrySigner.Create("d1"), d2 = EntrySigner.Create("d2"), impostor = EntrySigner.Create("d2");
        string trustDir = Directory.CreateDirectory(Path.Combine(_dir, "trust")).FullName;
        File.WriteAllText(Path.Combine(trustDir, "d0.pem"), d0.ExportPublicKeyPem());
        File.WriteAllText(Path.Combine(trustDir, "d2.pem"), d2.ExportPublicKeyPem());
        File.WriteAllText(Path.Combine(trustDir, "README.txt"), "not a key, ignored");

        using IMqttClient op = new MqttClientFactory().CreateMqttClient();
        await op.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port).WithClientId("ops").WithCredentials("ops", "pw-ops").Build());
        async Task Put(string device, string label, byte[] payload)
        {
            var result = await op.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(FleetTopics.Prototype("fleet1", Space.Id, device, label))
                .WithPayload(payload).WithRetainFlag().WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
            Assert.True(result.IsSuccess);
        }
        await Put("d0", "cat", FleetEntryCodec.Encode(Entry("d0", "cat", 3), FleetVectorType.Float32, d0));
        await Put("d0", "owl", FleetEntryCodec.Encode(Entry("d0", "owl", 2) with { Count = 0, Mean = [] }, FleetVectorType.Float32, d0));
        await Put("d1", "dog", FleetEntryCodec.Encode(Entry("d1", "dog", 1), FleetVectorType.Float32, d1));        // key not trusted
        await Put("d2", "cat", FleetEntryCodec.Encode(Entry("d2", "cat", 9), FleetVectorType.Float32, impostor));  // wrong key for d2
        await Put("d3", "cat", [0x45, 0x43, 1, 2, 3]);                                                               // truncated
        string broker1 = $"mqtt://127.0.0.1:{broker.Port}";

        var verified = CliHarness.Run("fleet", "status", "--broker", broker1, "--user", "ops", "--password", "pw-ops", "--trust", trustDir, "--quiet-ms", "1500", "--json");
        Assert.True(verified.Code == ExitCodes.Success, verified.Err);
        using (JsonDocument doc = JsonDocument.Parse(verified.Out))
        {
            Assert.True(doc.RootElement.GetProperty("verified").GetBoolean());
            JsonElement device = Assert.Single(doc.RootElement.GetProperty("devices").EnumerateArray());
            Assert.Equal("d0", device.GetProperty("device").GetString());
            JsonElement[] classes = [.. device.GetProperty("classes").EnumerateArray()];
            Assert.Equal(["cat", "owl"], classes.Select(c => c.GetProperty("label").GetString()));
            Assert.Equal([3L, 2L], classes.Select(c => c.GetProperty("version").GetInt64()));
            Assert.True(classes[1].GetProperty("tombstone").GetBoolean());
            Assert.All(classes, c => Assert.Equal("valid", c.GetProperty("signature").GetString()));
            JsonElement drops = doc.RootElement.GetProperty("drops");
            Assert.Equal(1, drops.GetProperty("unsigned").GetInt64());
            Assert.Equal(1, drops.GetProperty("forged").GetInt64());
            Assert.Equal(1, drops.GetProperty("malformed").GetInt64());
            // Which topics were dropped, and why.
            string[] listed = [.. doc.RootElement.GetProperty("dropped").EnumerateArray()
                .Select(d => $"{d.GetProperty("topic").GetString()} {d.GetProperty("reason").GetString()}")];
            Assert.Equal([$"{FleetTopics.Prototype("fleet1", Space.Id, "d1", "dog")} unsigned", $"{FleetTopics.Prototype("fleet1", Space.Id, "d2", "cat")} forged",
                $"{FleetTopics.Prototype("fleet1", Space.Id, "d3", "cat")} malformed"], listed);
        }
        var listing = CliHarness.Run("fleet", "status", "--broker", broker1, "--user", "ops", "--password", "pw-ops", "--trust", trustDir, "--quiet-ms", "1500");
        Assert.Contains($"dropped {FleetTopics.Prototype("fleet1", Space.Id, "d2", "cat")}: forged (signature does not verify with the key of 'd2')", listing.Out);

        var text = CliHarness.Run("fleet", "status", "--broker", broker1, "--user", "ops", "--password", "pw-ops", "--quiet-ms", "1500");
        Assert.True(text.Code == ExitCodes.Success, text.Err);
        Assert.Contains("3 device(s), signatures not checked", text.Out);
        Assert.Contains("1 dropped (malformed 1)", text.Out);

        File.WriteAllText(Path.Combine(trustDir, "d9.pem"), "-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n");
        var bad = CliHarness.Run("fleet", "status", "--broker", broker1, "--user", "ops", "--password", "pw-ops", "--trust", trustDir);
        Assert.Equal(ExitCodes.Usage, bad.Code);
        Assert.Single(bad.Err.Trim().Split('\n'));
        Assert.Contains("d9.pem", bad.Err);
    }

    [Fact]
    public async Task FleetStatus_LogsInToTheAgentsOwnBrokerWithItsLocalOperatorPassword()
    {
        string folder = Path.Combine(_dir, "state", "broker");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "users"), "laptop:clear-text-from-an-older-version\n");
        LocalBrokerAccounts local = LocalBrokerAccounts.LoadOrCreate(folder, "laptop"); // the old clear-text file is replaced
        Assert.DoesNotContain(local.DevicePassword, File.ReadAllText(Path.Combine(folder, "users")));
        Assert.Equal(local.OperatorPassword, LocalBrokerAccounts.LoadOrCreate(folder, "laptop").OperatorPassword); // stable across starts

        await using var broker = new EmbeddedBroker(new EmbeddedBrokerOptions { Port = 0, Users = local.Users });
        await broker.StartAsync();
        using EntrySigner signer = EntrySigner.Create("laptop");
        using var trust = new TrustStore();
        trust.Add("laptop", signer.ExportPublicKeyPem());
        await using (var device = new FleetSyncClient(
            new FleetSyncOptions { Fleet = "fleet1", DeviceId = "laptop", Space = Space, Broker = new FleetBrokerOptions { Host = "127.0.0.1", Port = broker.Port, UserName = "laptop", Password = local.DevicePassword } },
            new SignedEntryCodec(signer, trust), new FleetStateTarget(new FleetState(Space))))
        {
            await device.PublishAsync(Entry("laptop", "cat", 1));
            await device.StartAsync();
            await device.WaitUntilConnectedAsync().WaitAsync(TimeSpan.FromSeconds(15));
            // What the README tells a user to run against `edgecl run`'s own broker, while the agent stays connected.
            string password = File.ReadAllText(Path.Combine(folder, "operator.password")).Trim();
            var status = CliHarness.Run("fleet", "status", "--broker", $"mqtt://127.0.0.1:{broker.Port}", "--user", "operator", "--password", password, "--quiet-ms", "1500");
            Assert.True(status.Code == ExitCodes.Success, status.Err);
            Assert.Contains("laptop", status.Out);
            Assert.Contains("online", status.Out);
            Assert.True(device.IsConnected);
        }
    }

    [Fact]
    public async Task FleetCommand_SignedWithAnOperatorKey_IsActedOnByTheDevice()
    {
        string trustDir = Path.Combine(_dir, "trust");
        var made = CliHarness.Run("fleet", "operator-key", "alice", "--out", Path.Combine(trustDir, "operators"));
        Assert.True(made.Code == ExitCodes.Success, made.Err);
        string key = Path.Combine(trustDir, "operators", "alice.key");
        Assert.Equal(ExitCodes.Usage, CliHarness.Run("fleet", "operator-key", "alice", "--out", Path.Combine(trustDir, "operators")).Code); // never overwritten

        await using var broker = new EmbeddedBroker(new EmbeddedBrokerOptions { Port = 0, Users = [BrokerUser.WithPassword("d0", "pw-d0"), BrokerUser.WithPassword("ops", "pw-ops", isOperator: true)] });
        await broker.StartAsync();
        using EntrySigner signer = EntrySigner.Create("d0");
        using var trust = new TrustStore();
        trust.Add("d0", signer.ExportPublicKeyPem());
        using TrustStore operators = TrustFolder.LoadOperators(trustDir);
        await using var device = new FleetSyncClient(
            new FleetSyncOptions { Fleet = "fleet1", DeviceId = "d0", Space = Space, OperatorKeys = operators, Broker = new FleetBrokerOptions { Host = "127.0.0.1", Port = broker.Port, UserName = "d0", Password = "pw-d0" } },
            new SignedEntryCodec(signer, trust), new FleetStateTarget(new FleetState(Space)));
        var received = new TaskCompletionSource<Sync.Commands.FleetCommand>(TaskCreationOptions.RunContinuationsAsynchronously);
        device.CommandReceived += (_, e) => received.TrySetResult(e.Command);
        await device.StartAsync();
        await device.WaitUntilConnectedAsync().WaitAsync(TimeSpan.FromSeconds(15));

        var sent = CliHarness.Run("fleet", "command", "forget_class", "--label", "cat", "--device", "d0", "--operator-key", key,
            "--broker", $"mqtt://127.0.0.1:{broker.Port}", "--user", "ops", "--password", "pw-ops");
        Assert.True(sent.Code == ExitCodes.Success, sent.Err);
        Sync.Commands.FleetCommand command = await received.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((Sync.Commands.FleetCommandKind.ForgetClass, "cat"), (command.Kind, command.Label));

        // Retained: 'fleet status' lists it, done once the device's status acknowledges it (still retained: nothing cleared it).
        var retained = new TaskCompletionSource<Sync.Commands.FleetCommand>(TaskCreationOptions.RunContinuationsAsynchronously);
        device.CommandReceived += (_, e) => { if (e.Command.Kind == Sync.Commands.FleetCommandKind.ResetAdaptation) retained.TrySetResult(e.Command); };
        sent = CliHarness.Run("fleet", "command", "reset_adaptation", "--retain", "--device", "d0", "--operator-key", key,
            "--broker", $"mqtt://127.0.0.1:{broker.Port}", "--user", "ops", "--password", "pw-ops");
        Assert.True(sent.Code == ExitCodes.Success, sent.Err);
        await retained.Task.WaitAsync(TimeSpan.FromSeconds(10));
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        string listing;
        do
            listing = CliHarness.Run("fleet", "status", "--broker", $"mqtt://127.0.0.1:{broker.Port}", "--user", "ops", "--password", "pw-ops", "--quiet-ms", "1500").Out;
        while (!listing.Contains("reset_adaptation by alice, done (retained)", StringComparison.Ordinal) && DateTime.UtcNow < deadline);
        Assert.Contains("to d0: reset_adaptation by alice, done (retained)", listing, StringComparison.Ordinal);

        var bad = CliHarness.Run("fleet", "command", "forget_class", "--device", "d0", "--operator-key", key, "--broker", $"mqtt://127.0.0.1:{broker.Port}");
        Assert.Equal(ExitCodes.Usage, bad.Code);
        Assert.Contains("needs a \"label\"", bad.Err);
    }

    [Fact]
    public void FleetStatus_BrokerDown_OneLineError()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }
        var run = CliHarness.Run("fleet", "status", "--broker", $"mqtt://127.0.0.1:{port}");
        Assert.NotEqual(ExitCodes.Success, run.Code);
        Assert.Single(run.Err.Trim().Split('\n'));
        Assert.Contains("Cannot reach the broker", run.Err);
    }

    [Fact]
    public void Broker_TlsCertificateNotPem_OneLineError()
    {
        string cert = Path.Combine(_dir, "broker.crt"), key = Path.Combine(_dir, "broker.key");
        File.WriteAllText(cert, "not a certificate");
        File.WriteAllText(key, "not a key");
        var run = CliHarness.Run("broker", "--port", "0", "--tls-cert", cert, "--tls-key", key);
        Assert.Equal(ExitCodes.Usage, run.Code);
        Assert.Single(run.Err.Trim().Split('\n'));
        Assert.Contains("make-certs.sh", run.Err);
        Assert.StartsWith("edgecl: error: Broker TLS files cannot be used", run.Err);
    }

    [Fact]
    public void Simulate_SmallFleet_EveryDeviceEndsIdentical()
    {
        var run = CliHarness.Run("fleet", "simulate", "--devices", "4", "--classes", "6", "--dim", "16", "--samples", "5", "--timeout", "60", "--json");
        Assert.True(run.Code == ExitCodes.Success, run.Err);
        using JsonDocument doc = JsonDocument.Parse(run.Out);
        Assert.True(doc.RootElement.GetProperty("identical").GetBoolean());
        Assert.Equal(4, doc.RootElement.GetProperty("devices").GetInt32());
        Assert.Equal(0, doc.RootElement.GetProperty("drops").GetInt64());
        Assert.True(doc.RootElement.GetProperty("max_difference_to_centralised_mean").GetDouble() < 1e-4);
    }

    [Fact]
    public void Simulate_ACompromisedDevice_TakesOverCountWeighting_NotACappedFleet()
    {
        string[] fleet = ["fleet", "simulate", "--devices", "4", "--classes", "6", "--dim", "16", "--samples", "5", "--overlap", "--compromised", "1", "--timeout", "60", "--json"];
        foreach ((string[] policy, int hijacked) in new[] { (Array.Empty<string>(), 6), (["--cap", "5"], 0) })
        {
            var run = CliHarness.Run([.. fleet, .. policy]);
            Assert.True(run.Code == ExitCodes.Success, run.Err);
            using JsonDocument doc = JsonDocument.Parse(run.Out);
            Assert.True(doc.RootElement.GetProperty("identical").GetBoolean());
            Assert.Equal(hijacked, doc.RootElement.GetProperty("hijacked_classes").GetInt32());
        }
        var alone = CliHarness.Run("fleet", "simulate", "--devices", "4", "--compromised", "1");
        Assert.Equal(ExitCodes.Usage, alone.Code);
        Assert.Single(alone.Err.Trim().Split('\n'));
        Assert.Contains("--compromised needs --overlap", alone.Err);
    }

    private static FleetEntry Entry(string device, string label, long version) =>
        new() { SpaceId = Space.Id, DeviceId = device, Label = label, Version = version, Count = version, Mean = [1, 2, 3, version] };
}
