using System.CommandLine;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Rollout;
using EdgeCL.Device.Rollout;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Operator;
using EdgeCL.Sync.Payloads;
using EdgeCL.Sync.Status;
using EdgeCL.Sync.Topics;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeCL.Cli.Commands;

/// <summary>
/// <c>edgecl fleet carry --calibration FILE --carrier-key NAME.key --trust DIR</c>: the classes that live only in the old
/// space of a rollout (taught by devices that are gone) are mapped into the new space and published there as signed
/// entries of a carrier writer, so that <c>fleet rollout --retire</c> can retire the old space without losing them
/// (<see cref="ClassCarry"/>; docs/rollout.md). <c>--undo</c> retracts what was carried.
/// </summary>
internal static class FleetCarryCommand
{
    public static Command Create()
    {
        var broker = new Option<string>("--broker") { Description = "mqtt://host:port or mqtts://host:port.", Required = true };
        var fleet = new Option<string>("--fleet") { Description = "Fleet name.", DefaultValueFactory = _ => "fleet1" };
        var calibration = new Option<string>("--calibration") { Description = "Calibration pairs old space → new space (edgecl rollout calibrate): the map is fitted on them, and they name both spaces.", Required = true };
        var trust = new Option<string>("--trust") { Description = "Trust folder of <device-id>.pem keys, the carrier's NAME.pem among them (as on the devices).", Required = true };
        var carrierKey = new Option<string>("--carrier-key") { Description = "The carrier's private key NAME.key (edgecl fleet carrier-key NAME); NAME is the writer id of the carried entries.", Required = true };
        var classes = new Option<string?>("--classes") { Description = "Only these classes (comma-separated)." };
        var undo = new Option<bool>("--undo") { Description = "Retract the carried classes instead (tombstones of the carrier's entries in the new space)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print what would be published and publish nothing." };
        var quietMs = new Option<int>("--quiet-ms") { Description = "Stop reading after this many ms without a retained message.", DefaultValueFactory = _ => 500 };
        var login = new OperatorConnection.Options();
        var command = new Command("carry", "Carry the classes that live only in an old embedding space (devices that are gone) into the new space as a carrier's signed entries, so that retiring the old space loses nothing.")
            { broker, fleet, calibration, trust, carrierKey, classes, undo, dryRun, quietMs, login.User, login.Password, login.Ca, login.Cert, login.Key };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async token =>
        {
            string fleetName = parse.GetValue(fleet)!;
            TopicSegment.EnsureIdentifier(fleetName, "--fleet");
            CalibrationPairs pairs = CalibrationFile.Read(parse.GetValue(calibration)!);
            using EntrySigner carrier = FleetCommandCliCommand.ReadKey(parse.GetValue(carrierKey)!, "--carrier-key", "edgecl fleet carrier-key NAME");
            FleetLimits.EnsureValidDeviceId(carrier.DeviceId, "--carrier-key's file name");
            using TrustStore devices = TrustFolder.Load(parse.GetValue(trust)!);
            if (!devices.Contains(carrier.DeviceId))
                throw new ArgumentException($"the trust folder has no {carrier.DeviceId}.pem: copy the carrier's public key there and into every device's trust folder, or devices will refuse what it carries.");
            HashSet<string>? only = parse.GetValue(classes)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
            FleetBrokerOptions endpoint = login.Endpoint(parse, parse.GetValue(broker)!);

            var old = new FleetState(pairs.Source);
            var current = new FleetState(pairs.Target);
            var refused = new List<string>();
            var statuses = new Dictionary<string, DeviceStatus>(StringComparer.Ordinal);
            using IMqttClient client = new MqttClientFactory().CreateMqttClient();
            await ReadAsync(client, endpoint, fleetName, old, current, statuses, devices, refused, parse.GetValue(quietMs), token).ConfigureAwait(false);
            Console.WriteLine($"space {pairs.Source.Id}: {old.EntryCount} verified entries; space {pairs.Target.Id}: {current.EntryCount}; {refused.Count} refused");
            foreach (string r in refused)
                Console.WriteLine($"  refused {r}");

            if (!parse.GetValue(undo) && !statuses.Values.Any(d => d.Space == pairs.Target.Id))
                return CommandRunner.Fail($"no device's status names space {pairs.Target.Id}: nothing would read what is carried there; move devices first (edgecl fleet rollout), or check --calibration. Nothing was published.", ExitCodes.Failure);
            IReadOnlyList<FleetEntry> publish;
            int left = 0;
            if (parse.GetValue(undo))
            {
                publish = [.. ClassCarry.Undo(current, carrier.DeviceId).Where(e => only is null || only.Contains(e.Label))];
                foreach (FleetEntry e in publish)
                    Console.WriteLine($"  retract '{e.Label}': {carrier.DeviceId} v{e.Version} (tombstone)");
            }
            else
            {
                SpaceMap map = SpaceMap.Fit(pairs.Source, pairs.Target, pairs.SourceRows, pairs.TargetRows);
                Console.WriteLine($"fitted {map}");
                var stillInOld = statuses.Where(d => d.Value.Space == pairs.Source.Id).Select(d => d.Key).ToHashSet(StringComparer.Ordinal);
                CarryPlan all = ClassCarry.Plan(old, current, map, carrier.DeviceId, stillInOld);
                foreach ((string label, IReadOnlyList<string> holders) in all.Held.Where(h => only is null || only.Contains(h.Label)))
                {
                    left++;
                    string[] named = [.. holders.Where(stillInOld.Contains)];
                    Console.WriteLine($"  not carried '{label}' ({string.Join(", ", holders)}): the status of {string.Join(", ", named)} still names space {pairs.Source.Id}; "
                        + $"a device moves its classes itself; one that is gone for good: edgecl fleet decommission --devices {string.Join(",", named)}");
                }
                IReadOnlyList<CarriedClass> plan = [.. all.Carried.Where(c => only is null || only.Contains(c.Label))];
                foreach (CarriedClass c in plan)
                    Console.WriteLine(c.Entry.IsTombstone
                        ? $"  retract '{c.Label}': {string.Join(", ", c.Devices)} moved it themselves; {carrier.DeviceId} v{c.Entry.Version} (tombstone)"
                        : $"  carry '{c.Label}' ({string.Join(", ", c.Devices)}): n={c.Entry.Count} → {carrier.DeviceId} v{c.Entry.Version}");
                publish = [.. plan.Select(c => c.Entry)];
            }
            if (publish.Count == 0)
            {
                Console.WriteLine(parse.GetValue(undo) ? $"nothing to retract: {carrier.DeviceId} holds no live class in space {pairs.Target.Id}."
                    : left > 0 ? $"nothing carried: {left} class(es) are left to devices that still name space {pairs.Source.Id} (above)."
                    : only is null ? $"nothing to carry: every live contribution of space {pairs.Source.Id} is in space {pairs.Target.Id} already, moved or carried."
                    : $"nothing to carry: every live contribution of space {pairs.Source.Id} to the classes named by --classes is in space {pairs.Target.Id} already.");
                return ExitCodes.Success;
            }
            if (parse.GetValue(dryRun))
            {
                Console.WriteLine($"dry run: {publish.Count} entr{(publish.Count == 1 ? "y" : "ies")} not published.");
                return ExitCodes.Success;
            }
            // One signature for the batch; each entry on its own retained per-class topic, readable by every client.
            byte[][] payloads = FleetEntryCodec.EncodeBatch(publish, FleetVectorType.Float32, carrier);
            for (int i = 0; i < publish.Count; i++)
            {
                MqttClientPublishResult result = await client.PublishAsync(new MqttApplicationMessageBuilder()
                    .WithTopic(FleetTopics.Prototype(fleetName, pairs.Target.Id, carrier.DeviceId, publish[i].Label)).WithPayload(payloads[i])
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag().Build(), token).ConfigureAwait(false);
                if (!result.IsSuccess)
                    return CommandRunner.Fail($"the broker refused '{publish[i].Label}' ({result.ReasonCode}) after {i} of {publish.Count}; let the user write {FleetTopics.Prototype(fleetName, pairs.Target.Id, carrier.DeviceId, "#")} (an operator account may) and run the command again.", ExitCodes.Failure);
            }
            await client.DisconnectAsync(cancellationToken: token).ConfigureAwait(false);
            int retracted = publish.Count(e => e.IsTombstone), carriedCount = publish.Count - retracted;
            string what = retracted == 0 ? $"carried {carriedCount}" : carriedCount == 0 ? $"retracted {retracted}" : $"carried {carriedCount} and retracted {retracted}";
            Console.WriteLine($"{what} class(es) in space {pairs.Target.Id} as {carrier.DeviceId}.");
            return ExitCodes.Success;
        }, ct));
        return command;
    }

    // Every retained entry of both spaces, verified, and every device's status.
    private static Task ReadAsync(IMqttClient client, FleetBrokerOptions endpoint, string fleet, FleetState old, FleetState current,
        Dictionary<string, DeviceStatus> statuses, TrustStore devices, List<string> refused, int quietMs, CancellationToken token) =>
        OperatorConnection.ReadRetainedAsync(client, endpoint, $"edgecl-carry-{Environment.ProcessId}",
            [FleetTopics.StatusFilter(fleet), .. new[] { old.Space.Id, current.Space.Id }.SelectMany(space => new[] { FleetTopics.PrototypeFilter(fleet, space), FleetTopics.PrototypeBundleFilter(fleet, space) })],
            (topicName, payload) =>
            {
                if (FleetTopics.TryParse(topicName, out FleetTopic topic) && topic.Kind == FleetTopicKind.Status)
                {
                    if (DeviceStatus.TryParse(payload, out DeviceStatus? status))
                        statuses[topic.Device] = status;
                }
                else if (!RetainedEntries.Take(topicName, payload, old, devices, refused))
                    RetainedEntries.Take(topicName, payload, current, devices, refused);
            }, quietMs, token);
}
