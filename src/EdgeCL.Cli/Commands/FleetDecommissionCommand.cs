using System.CommandLine;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Operator;
using EdgeCL.Sync.Status;
using EdgeCL.Sync.Topics;
using MQTTnet;

namespace EdgeCL.Cli.Commands;

/// <summary>
/// <c>edgecl fleet decommission --devices a,b</c>: an operator declares devices gone for good by clearing their retained
/// statuses. A gone device's last status (offline, naming the space it ran) otherwise keeps that space "run" for ever:
/// <c>fleet rollout --retire</c> will not retire it and <c>fleet carry</c> leaves its classes to it. Its entries stay
/// (carry them, or retire the space). A device that is online is refused, and then nothing is cleared.
/// </summary>
internal static class FleetDecommissionCommand
{
    public static Command Create()
    {
        var broker = new Option<string>("--broker") { Description = "mqtt://host:port or mqtts://host:port.", Required = true };
        var fleet = new Option<string>("--fleet") { Description = "Fleet name.", DefaultValueFactory = _ => "fleet1" };
        var devices = new Option<string>("--devices") { Description = "Comma-separated ids of the devices that are gone for good.", Required = true };
        var quietMs = new Option<int>("--quiet-ms") { Description = "Stop reading statuses after this many ms without one.", DefaultValueFactory = _ => 500 };
        var login = new OperatorConnection.Options();
        var command = new Command("decommission", "Declare devices gone for good: clear their retained statuses, so the space they ran can be retired and their classes carried (refused for a device that is online).")
            { broker, fleet, devices, quietMs, login.User, login.Password, login.Ca, login.Cert, login.Key };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async token =>
        {
            string fleetName = parse.GetValue(fleet)!;
            TopicSegment.EnsureIdentifier(fleetName, "--fleet");
            string[] listed = parse.GetValue(devices)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (listed.Length == 0)
                throw new ArgumentException("--devices names no device; give the ids of the devices that are gone, e.g. --devices d8,d9.");
            foreach (string device in listed)
                TopicSegment.EnsureIdentifier(device, "--devices");
            FleetBrokerOptions endpoint = login.Endpoint(parse, parse.GetValue(broker)!);

            var statuses = new Dictionary<string, DeviceStatus>(StringComparer.Ordinal);
            using IMqttClient client = new MqttClientFactory().CreateMqttClient();
            await OperatorConnection.ReadRetainedAsync(client, endpoint, $"edgecl-decommission-{Environment.ProcessId}", [FleetTopics.StatusFilter(fleetName)],
                (topicName, payload) =>
                {
                    if (FleetTopics.TryParse(topicName, out FleetTopic topic) && topic.Kind == FleetTopicKind.Status && DeviceStatus.TryParse(payload, out DeviceStatus? status))
                        statuses[topic.Device] = status;
                }, parse.GetValue(quietMs), token).ConfigureAwait(false);
            string[] online = [.. listed.Where(d => statuses.TryGetValue(d, out DeviceStatus? s) && s.Online)];
            if (online.Length > 0)
                return CommandRunner.Fail($"{string.Join(", ", online)} {(online.Length == 1 ? "is" : "are")} online: a running device is not decommissioned (it would publish its status again); stop it first. Nothing was cleared.", ExitCodes.Failure);
            foreach (string device in listed)
            {
                if (statuses.GetValueOrDefault(device) is not { } last)
                {
                    Console.WriteLine($"  {device}: no status on this broker; nothing to clear.");
                    continue;
                }
                await CommandSender.ClearAsync(client, FleetTopics.Status(fleetName, device), token).ConfigureAwait(false);
                Console.WriteLine($"  {device}: status cleared (it last ran space {last.Space ?? "-"}); its entries stay until that space is retired.");
            }
            await client.DisconnectAsync(cancellationToken: token).ConfigureAwait(false);
            return ExitCodes.Success;
        }, ct));
        return command;
    }
}
