using System.Buffers;
using System.CommandLine;
using EdgeCL.Cli.Output;
using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Operator;
using EdgeCL.Sync.Payloads;
using EdgeCL.Sync.Topics;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeCL.Cli.Commands;

/// <summary><c>edgecl fleet simulate|status|command|rollout|serve|aggregate|audit</c>: fleet sync over MQTT.</summary>
internal static class FleetCliCommand
{
    public static Command Create() => new("fleet", "Fleet sync over MQTT: simulate a fleet, list what a broker holds, send signed commands, serve the fleet page.")
        {
            Simulate(), Status(), FleetCommandCliCommand.Send(), FleetCommandCliCommand.OperatorKey(), FleetRolloutCommand.Create(), FleetServeCommand.Create(),
            FleetAggregateCommand.Aggregate(), FleetAggregateCommand.Audit(), FleetCommandCliCommand.AggregatorKey(), FleetCommandCliCommand.CarrierKey(), FleetCarryCommand.Create(), FleetDecommissionCommand.Create(), FleetCapMeasureCommand.Create(),
        };

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
        var aggregators = new Option<int>("--aggregators") { Description = "Run N aggregators; devices then receive per-class aggregates and their receipts instead of every entry (0: every entry).", DefaultValueFactory = _ => 0 };
        var changes = new Option<int>("--changes") { Description = "With --aggregators: after the full sync, N single-class changes one at a time; reports per change the seconds until every device holds it and what each device received.", DefaultValueFactory = _ => 0 };
        var perClass = new Option<bool>("--per-class") { Description = "Devices publish one message per class (sync.publish \"classes\") and, with --aggregators, receive one per class (sync.receive \"aggregates-per-class\"), instead of bundles." };
        var cap = FleetAggregateCommand.CapOption();
        var maxNorm = FleetAggregateCommand.MaxNormOption();
        var compromised = new Option<int>("--compromised")
        {
            Description = $"The last K devices are compromised: for every class they publish another class's mean claiming {FleetSimulation.ClaimedCount:N0} examples (needs --overlap).",
            DefaultValueFactory = _ => 0,
        };
        var json = CommonOptions.Json();
        var command = new Command("simulate", "Run N in-process devices that learn synthetic classes and sync through a broker; report convergence time, bytes per entry and the error against centralised means.")
            { devices, classes, dim, samples, broker, password, fp16, overlap, seed, timeout, aggregators, perClass, changes, cap, maxNorm, compromised, json };
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
                Aggregators = parse.GetValue(aggregators) >= 0 ? parse.GetValue(aggregators) : throw new ArgumentException($"--aggregators {parse.GetValue(aggregators)} must be >= 0."),
                Cap = parse.GetValue(cap), MaxNorm = parse.GetValue(maxNorm), Compromised = parse.GetValue(compromised),
                Bundles = !parse.GetValue(perClass),
                Changes = parse.GetValue(changes) >= 0 ? parse.GetValue(changes) : throw new ArgumentException($"--changes {parse.GetValue(changes)} must be >= 0."),
            };
            if (simulation.Changes > 0 && simulation.Aggregators == 0)
                throw new ArgumentException("--changes measures single changes through aggregators; add --aggregators N.");
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
            Console.WriteLine($"max |merged − centralised mean|: {r.MaxDifferenceToCentralisedMean:G3}{(r.Compromised > 0 ? " (honest devices' samples only)" : "")}");
            if (r.Cap > 0 || r.MaxNorm > 0 || r.Compromised > 0)
                Console.WriteLine($"merge {r.Policy}, {r.Compromised} compromised device(s): {r.HijackedClasses} of {r.Classes} classes nearer another class's centralised mean than their own");
            if (r.PerDevice is { } cost)
                Console.WriteLine($"per device received (median): {cost.MessagesMedian:0} messages, {cost.BytesMedian / 1024:0.0} KiB, {cost.VerificationsMedian:0} messages verified with {cost.SignatureChecksMedian:0} ECDSA checks (~{cost.SignatureChecksMedian * r.VerifyMicroseconds / 1000:0.#} ms at {r.VerifyMicroseconds:0} µs each; the rest by their batch's verified root); largest {cost.MessagesMax} messages, {cost.BytesMax / 1024.0:0.0} KiB");
            if (r.AggregatorCost is { } agg)
                Console.WriteLine($"{r.Aggregators} aggregator(s): {agg.EntriesReceived} entries received, {agg.Verifications} verified with {agg.SignatureChecks} ECDSA checks, {agg.AggregatesPublished} aggregates and {agg.ReceiptsPublished} receipts published; from the first update: every entry merged after {agg.SecondsToAllEntries:F2} s, first aggregates out {(agg.SecondsToFirstAggregates is { } first ? $"after {first:F2} s" : "unseen (the fleet converged between two 50 ms checks)")}, half the devices identical after {agg.SecondsToHalfTheDevices:F2} s");
            if (r.Changes is { } ch)
                Console.WriteLine($"{ch.Count} single-class changes: every device held each one after {ch.SecondsMedian:F3} s (median); per change a device received {ch.MessagesPerChangeMedian:0.##} messages, {ch.BytesPerChangeMedian:0} bytes (medians)");
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
            foreach (FleetCommandView c in result.Commands)
                Console.WriteLine($"  command {c.Id} to {c.Device}: {c.Command}{(c.Label is null ? "" : $" '{c.Label}'")} by {c.Operator}, {c.State}{(c.Why is null ? "" : $": {c.Why}")}{(c.Retained ? " (retained)" : "")}");
            foreach (FleetDroppedTopicInfo d in result.Dropped)
                Console.WriteLine($"  dropped {d.Topic}: {d.Reason} ({d.Why})");
            return ExitCodes.Success;
        }, ct));
        return command;
    }

    private static async Task<FleetStatusResult> ReadStatusAsync(FleetBrokerOptions endpoint, string fleet, TrustStore? trust, TimeSpan quiet, CancellationToken cancellationToken)
    {
        var view = new FleetView(fleet, trust);
        var activity = new SemaphoreSlim(0);
        using IMqttClient client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += e =>
        {
            view.Apply(e.ApplicationMessage.Topic, e.ApplicationMessage.Payload.ToArray(), e.ApplicationMessage.Retain);
            activity.Release();
            return Task.CompletedTask;
        };
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            deadline.CancelAfter(TimeSpan.FromSeconds(10));
            await OperatorLogin.ConnectAsync(client, endpoint, $"edgecl-status-{Environment.ProcessId}", deadline.Token, cancellationToken).ConfigureAwait(false);
            await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
                .WithTopicFilter(FleetTopics.StatusFilter(fleet), MqttQualityOfServiceLevel.AtLeastOnce)
                .WithTopicFilter(FleetTopics.AllPrototypesFilter(fleet), MqttQualityOfServiceLevel.AtLeastOnce)
                .WithTopicFilter(FleetTopics.AllPrototypeBundlesFilter(fleet), MqttQualityOfServiceLevel.AtLeastOnce)
                .WithTopicFilter(FleetTopics.AllCommandsFilter(fleet), MqttQualityOfServiceLevel.AtLeastOnce).Build(), deadline.Token).ConfigureAwait(false);
        }
        // MQTT has no end-of-retained marker: read until the broker has been quiet for a while.
        while (await activity.WaitAsync(quiet, cancellationToken).ConfigureAwait(false))
        {
        }
        FleetSnapshot snapshot = view.Snapshot();
        var devices = snapshot.Devices.Select(d => new FleetDeviceInfo(d.Device, d.Online, d.Session,
            [.. d.Entries.Select(e => new FleetClassInfo(e.Space, e.Label, e.Version, e.Count, e.Dimension, e.Tombstone, e.PayloadBytes, e.Signature))])).ToList();
        return new FleetStatusResult($"{endpoint.Host}:{endpoint.Port}", fleet, trust is not null, devices, snapshot.Drops,
            [.. snapshot.Dropped.Select(d => new FleetDroppedTopicInfo(d.Topic, d.Reason, d.Why))]) { Commands = snapshot.Commands };
    }
}
