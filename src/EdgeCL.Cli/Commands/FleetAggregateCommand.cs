using System.CommandLine;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Fleet.Aggregation;
using EdgeCL.Core.Vectors;
using EdgeCL.Sync.Aggregation;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Operator;
using EdgeCL.Sync.Payloads;
using EdgeCL.Sync.Topics;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeCL.Cli.Commands;

/// <summary><c>edgecl fleet aggregate</c> (run the aggregation role) and <c>edgecl fleet audit</c> (check aggregates against their contributions).</summary>
internal static class FleetAggregateCommand
{
    public static Command Aggregate()
    {
        var broker = new Option<string>("--broker") { Description = "mqtt://host:port or mqtts://host:port.", Required = true };
        var fleet = new Option<string>("--fleet") { Description = "Fleet name.", DefaultValueFactory = _ => "fleet1" };
        var space = SpaceOption();
        var dim = DimOption();
        var key = new Option<string>("--aggregator-key") { Description = "The aggregator's private key (edgecl fleet aggregator-key NAME); its file name is the aggregator id.", Required = true };
        var trust = new Option<string>("--trust") { Description = "Folder of device public keys (<device-id>.pem): only entries that verify are aggregated.", Required = true };
        var once = new Option<bool>("--once") { Description = "Publish what the broker holds, then exit (default: run until Ctrl-C)." };
        var single = new Option<bool>("--single-signatures") { Description = "Sign every aggregate and receipt alone (what builds without batch signatures read), not once per publish cycle: for a rollout, until every device is upgraded." };
        var cap = CapOption();
        var maxNorm = MaxNormOption();
        var login = new OperatorConnection.Options();
        var command = new Command("aggregate", "Merge every device's entries of one space and publish signed per-class aggregates and per-device receipts (devices with fleet.receive = aggregates read those instead of every entry).")
            { broker, fleet, space, dim, key, trust, once, single, cap, maxNorm, login.User, login.Password, login.Ca, login.Cert, login.Key };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async token =>
        {
            string fleetName = parse.GetValue(fleet)!;
            TopicSegment.EnsureIdentifier(fleetName, "--fleet");
            var embeddingSpace = new EmbeddingSpace(parse.GetValue(space)!, parse.GetValue(dim));
            embeddingSpace.Validate();
            FleetMergePolicy policy = Policy(parse.GetValue(cap), parse.GetValue(maxNorm));
            using EntrySigner signer = FleetCommandCliCommand.ReadKey(parse.GetValue(key)!, "--aggregator-key", "edgecl fleet aggregator-key NAME");
            using TrustStore devices = TrustFolder.Load(parse.GetValue(trust)!);
            FleetBrokerOptions endpoint = login.Endpoint(parse, parse.GetValue(broker)!);
            await using var aggregator = new FleetAggregator(new FleetAggregatorOptions
            {
                Sync = new FleetSyncOptions { Fleet = fleetName, DeviceId = signer.DeviceId, Space = embeddingSpace, Broker = endpoint, MergePolicy = policy },
                BatchSignatures = !parse.GetValue(single),
            }, signer, devices);
            await aggregator.StartAsync(token).ConfigureAwait(false);
            using (var connect = CancellationTokenSource.CreateLinkedTokenSource(token))
            {
                connect.CancelAfter(TimeSpan.FromSeconds(15));
                try
                {
                    await aggregator.Client.WaitUntilConnectedAsync(connect.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!token.IsCancellationRequested)
                {
                    return CommandRunner.Fail($"aggregator {signer.DeviceId} could not connect to {endpoint.Host}:{endpoint.Port} within 15 s; check --broker and the login (user = the aggregator id).", ExitCodes.Failure);
                }
            }
            Console.WriteLine($"aggregator {signer.DeviceId}: fleet {fleetName}, space {embeddingSpace.Id} ({embeddingSpace.Dimension}-d), merge {policy}, {devices.Count} trusted device key(s), connected to {endpoint.Host}:{endpoint.Port}");
            if (parse.GetValue(once))
            {
                // MQTT has no end-of-retained marker: wait until entries stop arriving, then until everything went out.
                long seen = -1;
                while (aggregator.Client.Statistics.Received != seen)
                {
                    seen = aggregator.Client.Statistics.Received;
                    await Task.Delay(500, token).ConfigureAwait(false);
                }
                await aggregator.WaitUntilIdleAsync(token).ConfigureAwait(false);
            }
            else
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl-C: report and say goodbye.
                }
            }
            SyncStatistics s = aggregator.Client.Statistics;
            Console.WriteLine($"aggregator {signer.DeviceId}: {s.Received} entries received, {s.Drops.Values.Sum()} dropped, {aggregator.AggregatesPublished} aggregates and {aggregator.ReceiptsPublished} receipts published");
            return ExitCodes.Success;
        }, ct));
        return command;
    }

    public static Command Audit()
    {
        var broker = new Option<string>("--broker") { Description = "mqtt://host:port or mqtts://host:port.", Required = true };
        var fleet = new Option<string>("--fleet") { Description = "Fleet name.", DefaultValueFactory = _ => "fleet1" };
        var space = SpaceOption();
        var dim = DimOption();
        var trust = new Option<string>("--trust") { Description = "Trust folder: <device-id>.pem device keys, aggregators/<id>.pem aggregator keys.", Required = true };
        var label = new Option<string?>("--class") { Description = "Audit this class only (default: every class)." };
        var quietMs = new Option<int>("--quiet-ms") { Description = "Stop reading after this many ms without a retained message.", DefaultValueFactory = _ => 500 };
        var login = new OperatorConnection.Options();
        var command = new Command("audit", "Recompute every aggregate from the retained contributions it claims and report those that do not match (exit 1 when any aggregate is wrong).")
            { broker, fleet, space, dim, trust, label, quietMs, login.User, login.Password, login.Ca, login.Cert, login.Key };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async token =>
        {
            string fleetName = parse.GetValue(fleet)!;
            TopicSegment.EnsureIdentifier(fleetName, "--fleet");
            var embeddingSpace = new EmbeddingSpace(parse.GetValue(space)!, parse.GetValue(dim));
            embeddingSpace.Validate();
            string trustDir = parse.GetValue(trust)!;
            using TrustStore devices = TrustFolder.Load(trustDir);
            using TrustStore aggregators = TrustFolder.LoadAggregators(trustDir);
            FleetBrokerOptions endpoint = login.Endpoint(parse, parse.GetValue(broker)!);
            string? only = parse.GetValue(label);
            string encoded = only is null ? "+" : TopicSegment.EncodeLabel(only);

            var contributions = new FleetState(embeddingSpace);
            var aggregates = new List<FleetAggregate>();
            var refused = new List<string>();
            using IMqttClient client = new MqttClientFactory().CreateMqttClient();
            string root = $"{FleetTopics.Root}/{fleetName}/{embeddingSpace.Id}";
            await OperatorConnection.ReadRetainedAsync(client, endpoint, $"edgecl-audit-{Environment.ProcessId}",
                // Devices that publish bundles: every class comes with them (the audit reads only the ones it checks).
                [$"{root}/proto/+/{encoded}", FleetTopics.PrototypeBundleFilter(fleetName, embeddingSpace.Id), $"{root}/agg/+/{encoded}"],
                (topicName, payload) => Take(topicName, payload, contributions, devices, aggregators, aggregates, refused), parse.GetValue(quietMs), token).ConfigureAwait(false);
            await client.DisconnectAsync(cancellationToken: token).ConfigureAwait(false);

            int wrong = 0;
            Console.WriteLine($"audit of fleet {fleetName}, space {embeddingSpace.Id}: {contributions.EntryCount} verified entries, {aggregates.Count} aggregates, {refused.Count} refused");
            foreach (FleetAggregate a in aggregates.OrderBy(a => a.Label, StringComparer.Ordinal).ThenBy(a => a.AggregatorId, StringComparer.Ordinal))
            {
                AggregateAudit verdict = FleetAggregation.Audit(a, contributions);
                if (verdict.Verdict is AggregateAuditVerdict.Mismatch or AggregateAuditVerdict.Ahead)
                    wrong++;
                Console.WriteLine($"  {a.Label,-24} {a.AggregatorId,-16} v{a.VersionSum,-6} n={a.Count,-6} {(a.Policy.IsCountWeighted ? "" : $"[{a.Policy}] ")}{verdict.Verdict.ToString().ToLowerInvariant(),-8} {verdict.Detail}");
            }
            foreach (string r in refused)
                Console.WriteLine($"  refused {r}");
            return wrong == 0 ? ExitCodes.Success : CommandRunner.Fail($"{wrong} aggregate(s) do not match their contributions; stop trusting their aggregator (remove its key from trust_dir/aggregators) and check it.", ExitCodes.Failure);
        }, ct));
        return command;
    }

    private static void Take(string topicName, byte[] payload, FleetState contributions, TrustStore devices, TrustStore aggregators, List<FleetAggregate> aggregates, List<string> refused)
    {
        if (payload.Length == 0 || !FleetTopics.TryParse(topicName, out FleetTopic topic))
            return;
        if (RetainedEntries.Take(topicName, payload, contributions, devices, refused))
            return;
        if (topic.Kind != FleetTopicKind.Aggregate)
            return;
        if (!FleetAggregateCodec.TryDecode(payload, out FleetAggregate? aggregate, out FleetDecodeError error))
            refused.Add($"{topicName}: not an aggregate ({error})");
        else if (aggregate.AggregatorId != topic.Device || aggregate.Label != topic.Label)
            refused.Add($"{topicName}: the payload is {aggregate.AggregatorId}/{aggregate.Label}");
        else if (aggregators.VerifyPayload(aggregate.AggregatorId, payload) is var status && status != SignatureStatus.Valid)
            refused.Add($"{topicName}: {(status == SignatureStatus.UnknownDevice ? "aggregator not in trust_dir/aggregators" : "bad signature")}");
        else
            aggregates.Add(aggregate);
    }

    /// <summary>--cap N: the fleet's per-device weight cap (sync.max_examples_per_device of its devices).</summary>
    internal static Option<long> CapOption() => new("--cap")
    {
        Description = "Weigh each device at most N examples per class (the devices' sync.max_examples_per_device; 0 = by count). Devices refuse aggregates built under another cap.",
        DefaultValueFactory = _ => 0,
    };

    /// <summary>--max-norm B: the fleet's mean norm bound (sync.max_mean_norm of its devices).</summary>
    internal static Option<float> MaxNormOption() => new("--max-norm")
    {
        Description = "Shrink each device's class mean to at most this L2 norm (the devices' sync.max_mean_norm; 0 = no bound).",
        DefaultValueFactory = _ => 0,
    };

    /// <summary>The policy of --cap and --max-norm; one line when out of range.</summary>
    internal static FleetMergePolicy Policy(long cap, float maxNorm)
    {
        var policy = new FleetMergePolicy { MaxExamplesPerDevice = cap, MaxMeanNorm = maxNorm };
        return policy.Check() is { } problem ? throw new ArgumentException($"--cap/--max-norm: {problem}.") : policy;
    }

    private static Option<string> SpaceOption() => new("--space") { Description = "Embedding-space id (hex; 'edgecl fleet status' lists each entry's space).", Required = true };

    private static Option<int> DimOption() => new("--dim") { Description = "Embedding dimension of the space.", Required = true };
}
