using System.Buffers;
using System.CommandLine;
using EdgeCL.Cli.Output;
using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Payloads;
using EdgeCL.Sync.Status;
using EdgeCL.Sync.Topics;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeCL.Cli.Commands;

/// <summary><c>edgecl fleet simulate|status</c>: fleet sync over MQTT.</summary>
internal static class FleetCliCommand
{
    private const int MaxListedDrops = 200;

    public static Command Create() => new("fleet", "Fleet sync over MQTT: simulate a fleet, list what a broker holds, send signed commands.")
        { Simulate(), Status(), FleetCommandCliCommand.Send(), FleetCommandCliCommand.OperatorKey() };

    private static Command Simulate()
    {
        var devices = new Option<int>("--devices") { Description = "Devices to run in this process.", DefaultValueFactory = _ => 10 };
        var classes = new Option<int>("--classes") { Description = "Classes in the synthetic data.", DefaultValueFactory = _ => 10 };
        var dim = new Option<int>("--dim") { Description = "Embedding dimension.", DefaultValueFactory = _ => 96 };
        var samples = new Option<int>("--samples") { Description = "Labelled samples per class per learning device.", DefaultValueFactory = _ => 20 };
        var broker = new Option<string>("--broker") { Description = "'embedded' (in-process broker) or mqtt://host:port.", DefaultValueFactory = _ => "embedded" };
        var password = new Option<string?>("--password") { Description = "Password of every simulated device (user = device id) on an external broker; none = anonymous." };
        var fp16 = new Option<bool>("--fp16") { Description = "Send means as fp16 (half the bytes)." };
        var overlap = new Option<bool>("--overlap") { Description = "Every device learns every class (default: class c only on device c mod N)." };
        var seed = new Option<int>("--seed") { Description = "Seed of the synthetic data.", DefaultValueFactory = _ => 1 };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for convergence.", DefaultValueFactory = _ => 120 };
        var json = CommonOptions.Json();
        var command = new Command("simulate", "Run N in-process devices that learn synthetic classes and sync through a broker; report convergence time, bytes per entry and the error against centralised means.")
            { devices, classes, dim, samples, broker, password, fp16, overlap, seed, timeout, json };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async token =>
        {
            bool quiet = parse.GetValue(json);
            string target = parse.GetValue(broker)!;
            if (target != "embedded" && !target.StartsWith("mqtt", StringComparison.Ordinal))
                throw new ArgumentException($"--broker '{target}' is neither 'embedded' nor mqtt://host:port.");
            var simulation = new FleetSimulation
            {
                Devices = parse.GetValue(devices), Classes = parse.GetValue(classes), Dimension = parse.GetValue(dim), SamplesPerClass = parse.GetValue(samples),
                Overlap = parse.GetValue(overlap), Fp16 = parse.GetValue(fp16), Broker = target, Password = parse.GetValue(password), Seed = parse.GetValue(seed),
                Timeout = TimeSpan.FromSeconds(parse.GetValue(timeout)), Say = line => { if (!quiet) Console.WriteLine(line); },
            };
            SimulateResult r;
            try
            {
                r = await simulation.RunAsync(token).ConfigureAwait(false);
            }
            catch (TimeoutException ex)
            {
                return CommandRunner.Fail(ex.Message, ExitCodes.Failure);
            }
            if (quiet)
            {
                CommandRunner.WriteJson(r, CliJsonContext.Default.SimulateResult);
                return ExitCodes.Success;
            }
            Console.WriteLine($"identical state on all {r.Devices} devices: {(r.Identical ? "yes" : "NO")} ({r.Entries} entries, {r.Deliveries} deliveries, {r.Drops} drops)");
            Console.WriteLine($"time to identical state after the last update: {r.SecondsToIdenticalAfterLastUpdate:F3} s (publishing took {r.PublishSeconds:F3} s; {r.SecondsToIdenticalFromFirstUpdate:F3} s from the first update)");
            Console.WriteLine($"bytes per entry: {r.BytesPerEntry:F1} = {r.BytesPerEntryOverDx2:F3} × D×2 ({r.VectorType})");
            Console.WriteLine($"max |merged − centralised mean|: {r.MaxDifferenceToCentralisedMean:G3}");
            return r.Identical ? ExitCodes.Success : ExitCodes.Failure;
        }, ct));
        return command;
    }

    private static Command Status()
    {
        var broker = new Option<string>("--broker") { Description = "mqtt://host:port or mqtts://host:port.", Required = true };
        var fleet = new Option<string>("--fleet") { Description = "Fleet name.", DefaultValueFactory = _ => "fleet1" };
        var login = new OperatorConnection.Options();
        var trust = new Option<string?>("--trust") { Description = "Folder of device public keys (<device-id>.pem): entries are verified, and unsigned or forged ones dropped and counted." };
        var quietMs = new Option<int>("--quiet-ms") { Description = "Stop reading after this many ms without a retained message.", DefaultValueFactory = _ => 500 };
        var json = CommonOptions.Json();
        var command = new Command("status", "List devices (birth/will) and their classes from the broker's retained topics; with --trust, only entries whose signatures verify.")
            { broker, fleet, login.User, login.Password, login.Ca, login.Cert, login.Key, trust, quietMs, json };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async token =>
        {
            string fleetName = parse.GetValue(fleet)!;
            TopicSegment.EnsureIdentifier(fleetName, "--fleet");
            FleetBrokerOptions endpoint = login.Endpoint(parse, parse.GetValue(broker)!);
            using TrustStore? trustStore = parse.GetValue(trust) is { } trustDir ? TrustFolder.Load(trustDir) : null;
            FleetStatusResult result = await ReadStatusAsync(endpoint, fleetName, trustStore, TimeSpan.FromMilliseconds(Math.Max(50, parse.GetValue(quietMs))), token).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                CommandRunner.WriteJson(result, CliJsonContext.Default.FleetStatusResult);
                return ExitCodes.Success;
            }
            long dropped = result.Drops.Values.Sum();
            Console.WriteLine($"fleet {result.Fleet} on {result.Broker}: {result.Devices.Count} device(s), signatures {(result.Verified ? "verified" : "not checked (no --trust)")}"
                + (dropped > 0 ? $", {dropped} dropped ({string.Join(", ", result.Drops.Where(d => d.Value > 0).Select(d => $"{d.Key} {d.Value}"))})" : ", nothing dropped"));
            foreach (FleetDeviceInfo d in result.Devices)
            {
                string state = d.Online switch { true => "online", false => "offline", null => "no status" };
                Console.WriteLine($"  {d.Device,-20} {state,-9} {d.Classes.Count(c => !c.Tombstone)} class(es){(d.Classes.Any(c => c.Tombstone) ? $", {d.Classes.Count(c => c.Tombstone)} forgotten" : "")}");
                foreach (FleetClassInfo c in d.Classes)
                    Console.WriteLine($"      {c.Label,-24} v{c.Version,-5} n={c.Count,-6} {(c.Tombstone ? "(forgotten)" : $"{c.Dimension}-d")} space {c.Space} ({c.PayloadBytes} B, signature {c.Signature})");
            }
            foreach (FleetDroppedTopicInfo d in result.Dropped)
                Console.WriteLine($"  dropped {d.Topic}: {d.Reason} ({d.Why})");
            return ExitCodes.Success;
        }, ct));
        return command;
    }

    private static async Task<FleetStatusResult> ReadStatusAsync(FleetBrokerOptions endpoint, string fleet, TrustStore? trust, TimeSpan quiet, CancellationToken cancellationToken)
    {
        var statuses = new Dictionary<string, DeviceStatus>(StringComparer.Ordinal);
        var classes = new Dictionary<string, List<FleetClassInfo>>(StringComparer.Ordinal);
        var drops = new SortedDictionary<string, long>(StringComparer.Ordinal) { ["malformed"] = 0, ["oversized"] = 0, ["unsigned"] = 0, ["forged"] = 0 };
        var dropped = new List<FleetDroppedTopicInfo>();
        void Dropped(string topicName, string reason, string why)
        {
            drops[reason]++;
            // Bounded: a broker full of junk must not make the listing unbounded.
            if (dropped.Count < MaxListedDrops)
                dropped.Add(new FleetDroppedTopicInfo(topicName, reason, why));
        }
        var gate = new Lock();
        var activity = new SemaphoreSlim(0);
        using IMqttClient client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += e =>
        {
            byte[] payload = e.ApplicationMessage.Payload.ToArray();
            lock (gate)
            {
                string topicName = e.ApplicationMessage.Topic;
                if (!FleetTopics.TryParse(topicName, out FleetTopic topic))
                    Dropped(topicName, "malformed", "not an edgecl/v1 topic");
                else if (topic.Kind == FleetTopicKind.Status && DeviceStatus.TryParse(payload, out DeviceStatus? status))
                    statuses[topic.Device] = status;
                else if (topic.Kind == FleetTopicKind.Prototype && payload.Length > 0 && CheckEntry(topic, payload, trust, out string signature) is { } entry)
                    (classes.TryGetValue(topic.Device, out var list) ? list : classes[topic.Device] = []).Add(
                        new FleetClassInfo(entry.SpaceId, entry.Label, entry.Version, entry.Count, entry.Mean.Length, entry.IsTombstone, payload.Length, signature));
                else if (topic.Kind == FleetTopicKind.Prototype && payload.Length > 0)
                {
                    (string reason, string why) = DropReason(topic, payload, trust);
                    Dropped(topicName, reason, why);
                }
                else if (topic.Kind == FleetTopicKind.Status && payload.Length > 0)
                    Dropped(topicName, "malformed", "not a status message");
            }
            activity.Release();
            return Task.CompletedTask;
        };
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            deadline.CancelAfter(TimeSpan.FromSeconds(10));
            await OperatorConnection.ConnectAsync(client, endpoint, $"edgecl-status-{Environment.ProcessId}", deadline.Token, cancellationToken).ConfigureAwait(false);
            await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
                .WithTopicFilter(FleetTopics.StatusFilter(fleet), MqttQualityOfServiceLevel.AtLeastOnce)
                .WithTopicFilter(FleetTopics.AllPrototypesFilter(fleet), MqttQualityOfServiceLevel.AtLeastOnce).Build(), deadline.Token).ConfigureAwait(false);
        }
        // MQTT has no end-of-retained marker: read until the broker has been quiet for a while.
        while (await activity.WaitAsync(quiet, cancellationToken).ConfigureAwait(false))
        {
        }
        lock (gate)
        {
            var devices = statuses.Keys.Union(classes.Keys).Order(StringComparer.Ordinal).Select(d => new FleetDeviceInfo(d,
                statuses.TryGetValue(d, out DeviceStatus? s) ? s.Online : null, s?.Session,
                classes.TryGetValue(d, out var list) ? [.. list.OrderBy(c => c.Label, StringComparer.Ordinal)] : [])).ToList();
            return new FleetStatusResult($"{endpoint.Host}:{endpoint.Port}", fleet, trust is not null, devices, drops,
                [.. dropped.OrderBy(d => d.Topic, StringComparer.Ordinal)]);
        }
    }

    /// <summary>The entry of a retained message when it is shown: it decodes, matches its topic and (with a trust store) its signature verifies.</summary>
    private static FleetEntry? CheckEntry(FleetTopic topic, byte[] payload, TrustStore? trust, out string signature)
    {
        signature = "unchecked";
        if (!FleetEntryCodec.TryDecode(payload, out FleetEntry? entry, out _) || entry.DeviceId != topic.Device || entry.Label != topic.Label)
            return null;
        if (trust is null)
            return entry;
        if (trust.VerifyPayload(entry.DeviceId, payload) != SignatureStatus.Valid)
            return null;
        signature = "valid";
        return entry;
    }

    /// <summary>Why <see cref="CheckEntry"/> refused a payload (same names as the sync client's drop reasons) and what exactly was wrong.</summary>
    private static (string Reason, string Why) DropReason(FleetTopic topic, byte[] payload, TrustStore? trust)
    {
        if (!FleetEntryCodec.TryDecode(payload, out FleetEntry? entry, out FleetDecodeError error))
            return error == FleetDecodeError.TooLarge ? ("oversized", $"{payload.Length} bytes") : ("malformed", $"does not decode ({error})");
        if (entry.DeviceId != topic.Device || entry.Label != topic.Label)
            return ("forged", $"payload is {entry.DeviceId}/{entry.Label}, topic says {topic.Device}/{topic.Label}");
        return trust?.VerifyPayload(entry.DeviceId, payload) == SignatureStatus.UnknownDevice
            ? ("unsigned", $"no key for device '{entry.DeviceId}' in the trust folder")
            : ("forged", $"signature does not verify with the key of '{entry.DeviceId}'");
    }
}
