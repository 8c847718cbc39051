using System.CommandLine;
using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Commands;
using EdgeCL.Sync.Operator;
using EdgeCL.Sync.Topics;
using MQTTnet;

namespace EdgeCL.Cli.Commands;

/// <summary><c>edgecl fleet command</c> (send a command signed with an operator key) and <c>edgecl fleet operator-key</c> (create one).</summary>
internal static class FleetCommandCliCommand
{
    public static Command Send()
    {
        var broker = new Option<string>("--broker") { Description = "mqtt://host:port or mqtts://host:port.", Required = true };
        var fleet = new Option<string>("--fleet") { Description = "Fleet name.", DefaultValueFactory = _ => "fleet1" };
        var device = new Option<string>("--device") { Description = "The device to command.", Required = true };
        var operatorKey = new Option<string>("--operator-key") { Description = "The operator's private key (edgecl fleet operator-key); its file name (NAME.key) is the operator name.", Required = true };
        var label = new Option<string?>("--label") { Description = "Class label (forget_class, teach)." };
        var backbone = new Option<string?>("--backbone") { Description = "Backbone name (new_backbone)." };
        var expires = new Option<int>("--expires-s") { Description = "Seconds the command stays valid (at most 3600).", DefaultValueFactory = _ => 300 };
        var retain = new Option<bool>("--retain") { Description = "Keep the command on the broker until it expires, so a device that is offline now acts on it (once) when it connects." };
        var kind = new Argument<string>("kind") { Description = "forget_class, reset_adaptation, new_backbone, rebirth, teach, stop_teach or false_alarm." };
        var login = new OperatorConnection.Options();
        var command = new Command("command", "Send one command to a device, signed with an operator key (devices act only on commands signed by a key in their trust_dir/operators).")
            { kind, broker, fleet, device, operatorKey, label, backbone, expires, retain, login.User, login.Password, login.Ca, login.Cert, login.Key };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async token =>
        {
            string fleetName = parse.GetValue(fleet)!, target = parse.GetValue(device)!;
            TopicSegment.EnsureIdentifier(fleetName, "--fleet");
            TopicSegment.EnsureIdentifier(target, "--device");
            int seconds = parse.GetValue(expires);
            if (seconds < 1 || seconds > SignedCommands.MaxLifetime.TotalSeconds)
                throw new ArgumentException($"--expires-s {seconds} must be 1..{SignedCommands.MaxLifetime.TotalSeconds:0}.");
            // Checked exactly as a device checks a received command.
            if (!FleetCommand.TryCreate(parse.GetValue(kind), target, parse.GetValue(label), parse.GetValue(backbone), out FleetCommand? parsed, out string error))
                throw new ArgumentException(error);
            using EntrySigner key = ReadOperatorKey(parse.GetValue(operatorKey)!);

            FleetBrokerOptions endpoint = login.Endpoint(parse, parse.GetValue(broker)!);
            using IMqttClient client = new MqttClientFactory().CreateMqttClient();
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
            deadline.CancelAfter(TimeSpan.FromSeconds(10));
            await OperatorLogin.ConnectAsync(client, endpoint, $"edgecl-command-{Environment.ProcessId}", deadline.Token, token).ConfigureAwait(false);
            bool retained = parse.GetValue(retain);
            // The fleet page sends through the same call. Retained, it has an MQTT 5 message expiry (the broker drops it when
            // the signature's expiry passes) and its own topic cmd/{device}/{id}, cleared once the device acknowledges it.
            SignedCommand sent = await CommandSender.SendAsync(client, fleetName, parsed, key, TimeSpan.FromSeconds(seconds), retained, deadline.Token).ConfigureAwait(false);
            await client.DisconnectAsync(cancellationToken: deadline.Token).ConfigureAwait(false);
            Console.WriteLine($"sent {parse.GetValue(kind)} to {target} in {fleetName} as command {sent.Id}, signed by operator {key.DeviceId}, valid {seconds} s"
                + (retained ? "; retained until then, so the device acts on it once when it connects ('fleet status' shows it pending until acknowledged)." : "."));
            return ExitCodes.Success;
        }, ct));
        return command;
    }

    public static Command OperatorKey() => KeyCommand("operator-key", "Operator",
        "Create an operator signing key: NAME.key stays with the operator; copy NAME.pem into every device's trust_dir/operators/.", "operators");

    public static Command AggregatorKey() => KeyCommand("aggregator-key", "Aggregator",
        "Create an aggregator signing key: NAME.key stays with the aggregator (edgecl fleet aggregate --aggregator-key); copy NAME.pem into the trust_dir/aggregators/ of every device that receives aggregates.", "aggregators");

    public static Command CarrierKey() => KeyCommand("carrier-key", "Carrier",
        "Create a carrier signing key for 'edgecl fleet carry': NAME.key stays with the operator; copy NAME.pem into every device's trust_dir/, as a device's key.", "");

    private static Command KeyCommand(string verb, string role, string description, string trustSubfolder)
    {
        var name = new Argument<string>("name") { Description = $"{role} name (A-Z a-z 0-9 . _ -)." };
        var output = new Option<string>("--out") { Description = "Folder for NAME.key (private, mode 0600) and NAME.pem (public).", DefaultValueFactory = _ => "." };
        var command = new Command(verb, description) { name, output };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(token =>
        {
            string keyName = parse.GetValue(name)!, folder = parse.GetValue(output)!;
            FleetLimits.EnsureValidDeviceId(keyName, "name");
            string keyPath = Path.Combine(folder, keyName + ".key"), pemPath = Path.Combine(folder, keyName + ".pem");
            if (File.Exists(keyPath))
                throw new ArgumentException($"'{keyPath}' exists; a {role.ToLowerInvariant()} key is never overwritten (move it aside to make a new one, and replace NAME.pem on the devices).");
            Directory.CreateDirectory(folder);
            using EntrySigner key = EntrySigner.Create(keyName);
            File.WriteAllText(keyPath, key.ExportPrivateKeyPem());
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.WriteAllText(pemPath, key.ExportPublicKeyPem());
            Console.WriteLine($"wrote {keyPath} (keep it secret) and {pemPath} (copy it to each device's trust_dir/{(trustSubfolder.Length == 0 ? "" : trustSubfolder + "/")}).");
            return Task.FromResult(ExitCodes.Success);
        }, ct));
        return command;
    }

    internal static EntrySigner ReadOperatorKey(string path) => ReadKey(path, "--operator-key", "edgecl fleet operator-key NAME");

    /// <summary>Reads a NAME.key private key; its file name is the signer's name.</summary>
    internal static EntrySigner ReadKey(string path, string option, string howToCreate)
    {
        string keyName = Path.GetFileNameWithoutExtension(path);
        try
        {
            return EntrySigner.FromPem(keyName, File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new ArgumentException($"{option} '{path}' cannot be used ({ex.Message.Split('\n')[0]}); create one with '{howToCreate}'.", ex);
        }
    }
}
