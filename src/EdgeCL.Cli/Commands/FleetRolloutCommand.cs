using System.CommandLine;
using EdgeCL.Core.Fleet;
using EdgeCL.Device.Rollout;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Commands;
using EdgeCL.Sync.Operator;
using EdgeCL.Sync.Topics;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeCL.Cli.Commands;

/// <summary>
/// <c>edgecl fleet rollout --backbone NAME</c>: sends the signed <c>new_backbone</c> command to each target device, watches
/// their retained statuses until each runs the new backbone (or refused, or the time is up), prints the progress and a
/// table; with <c>--retire</c>, clears the old space's retained topics once no device runs it and no class would be
/// lost with it (<see cref="SpaceRetirement"/>; <c>--allow-loss</c> accepts the loss; docs/rollout.md).
/// </summary>
internal static class FleetRolloutCommand
{
    public static Command Create()
    {
        var broker = new Option<string>("--broker") { Description = "mqtt://host:port or mqtts://host:port.", Required = true };
        var fleet = new Option<string>("--fleet") { Description = "Fleet name.", DefaultValueFactory = _ => "fleet1" };
        var backbone = new Option<string>("--backbone") { Description = "The backbone to move to, by name: it must be installed under each device's models folder (devices never download).", Required = true };
        var devices = new Option<string?>("--devices") { Description = "Comma-separated device ids." };
        var all = new Option<bool>("--all") { Description = "Every device with a status in the fleet." };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for every device to move.", DefaultValueFactory = _ => 300 };
        var retire = new Option<bool>("--retire") { Description = "Once every target moved, clear the retained topics of the spaces they left (and of any other space with entries) that no device runs any more, unless a class exists only there." };
        var allowLoss = new Option<bool>("--allow-loss") { Description = "With --retire: retire a space even when some of its classes exist in no space a device runs (they are lost to the fleet)." };
        var operatorKey = new Option<string>("--operator-key") { Description = "The operator's private key (edgecl fleet operator-key).", Required = true };
        var login = new OperatorConnection.Options();
        var command = new Command("rollout", "Move devices to another backbone without losing what they learned: signed new_backbone commands, then watch each device restart in the new embedding space.")
            { broker, fleet, backbone, devices, all, timeout, retire, allowLoss, operatorKey, login.User, login.Password, login.Ca, login.Cert, login.Key };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async token =>
        {
            string fleetName = parse.GetValue(fleet)!, name = parse.GetValue(backbone)!;
            TopicSegment.EnsureIdentifier(fleetName, "--fleet");
            if (!BackboneOverride.IsValidName(name))
                throw new ArgumentException($"--backbone '{name}' is not a backbone name (1-{BackboneOverride.MaxNameLength} of A-Z a-z 0-9 . _ -); name a backbone installed on the devices.");
            double seconds = parse.GetValue(timeout);
            if (!(seconds >= 1 && seconds <= SignedCommands.MaxLifetime.TotalSeconds))
                throw new ArgumentException($"--timeout {seconds} must be 1..{SignedCommands.MaxLifetime.TotalSeconds:0} seconds.");
            string[]? listed = parse.GetValue(devices)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if ((listed is null) == !parse.GetValue(all) || listed is { Length: 0 })
                throw new ArgumentException("name the targets with --devices a,b or --all (one of them).");
            foreach (string device in listed ?? [])
                TopicSegment.EnsureIdentifier(device, "--devices");
            if (parse.GetValue(allowLoss) && !parse.GetValue(retire))
                throw new ArgumentException("--allow-loss applies only with --retire (it lets a retirement drop classes no running space holds); add --retire or drop --allow-loss.");
            using EntrySigner key = FleetCommandCliCommand.ReadOperatorKey(parse.GetValue(operatorKey)!);
            FleetBrokerOptions endpoint = login.Endpoint(parse, parse.GetValue(broker)!);

            var view = new FleetView(fleetName);
            var activity = new SemaphoreSlim(0);
            await using var watcher = new FleetWatcher(endpoint, view, $"edgecl-rollout-{Environment.ProcessId}");
            watcher.Changed += () => activity.Release();
            await watcher.StartAsync(token).ConfigureAwait(false);
            await QuietAsync(activity, token).ConfigureAwait(false);
            FleetSnapshot before = view.Snapshot();
            string[] targets = listed ?? [.. before.Devices.Where(d => d.Online is not null).Select(d => d.Device)];
            if (targets.Length == 0)
                throw new ArgumentException($"no device of fleet '{fleetName}' has a status on this broker; name the targets with --devices.");

            var progress = new RolloutProgress(name);
            TimeSpan lifetime = TimeSpan.FromSeconds(Math.Min(SignedCommands.MaxLifetime.TotalSeconds, seconds + 60));
            foreach (string device in targets)
            {
                DeviceRollout row = progress.Add(device, before.Devices.FirstOrDefault(d => d.Device == device));
                if (row.State == RolloutState.Moved)
                {
                    Say(row, "already runs it");
                    continue;
                }
                // Retained until acknowledged (the watcher then clears it) or expired, so a device offline now acts on it when it connects.
                SignedCommand sent = await watcher.SendAsync(new FleetCommand(FleetCommandKind.NewBackbone, device, Backbone: name), key, lifetime, token).ConfigureAwait(false);
                Say(progress.Sent(device, sent.Id), $"sent new_backbone {name} (command {sent.Id}){(row.OldSpace is null ? ", no status seen yet" : "")}");
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
            deadline.CancelAfter(TimeSpan.FromSeconds(seconds));
            while (!progress.Finished && !deadline.IsCancellationRequested)
            {
                foreach (DeviceRollout row in progress.Update(view.Snapshot()))
                    Say(row, row.State switch
                    {
                        RolloutState.Moved => $"moved: space {Short(row.OldSpace)} → {Short(row.NewSpace)}",
                        RolloutState.Refused => $"refused: {row.Detail}",
                        _ => "acknowledged; restarting on the new backbone",
                    });
                try
                {
                    await activity.WaitAsync(TimeSpan.FromMilliseconds(250), deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!token.IsCancellationRequested)
                {
                }
            }
            token.ThrowIfCancellationRequested();
            progress.Update(view.Snapshot());
            FleetSnapshot after = view.Snapshot();
            Console.WriteLine($"{"device",-20} {"old space",-14} {"new space",-14} result");
            foreach (DeviceRollout row in progress.Devices)
                Console.WriteLine($"{row.Device,-20} {Short(row.OldSpace),-14} {Short(row.NewSpace),-14} {RolloutProgress.WhyNot(row, after.Devices.FirstOrDefault(d => d.Device == row.Device))}");
            if (!progress.AllMoved)
            {
                var stuck = progress.Devices.Where(d => d.State != RolloutState.Moved)
                    .Select(d => $"{d.Device} ({RolloutProgress.WhyNot(d, after.Devices.FirstOrDefault(v => v.Device == d.Device)).Split(':')[0]})");
                return CommandRunner.Fail($"{progress.Devices.Count(d => d.State != RolloutState.Moved)} of {targets.Length} device(s) did not move to {name}: {string.Join(", ", stuck)}"
                    + (parse.GetValue(retire) ? "; nothing retired" : ""), ExitCodes.Failure);
            }
            if (!parse.GetValue(retire))
                return ExitCodes.Success;
            string? refused = await RetireAsync(endpoint, fleetName, progress, view, activity, parse.GetValue(allowLoss), token).ConfigureAwait(false);
            return refused is null ? ExitCodes.Success : CommandRunner.Fail(refused, ExitCodes.Failure);
        }, ct));
        return command;
    }

    /// <summary>MQTT has no end-of-retained marker: reads until the broker has been quiet for 500 ms, or 3 s at most (live
    /// statuses keep coming every status interval).</summary>
    private static async Task QuietAsync(SemaphoreSlim activity, CancellationToken token)
    {
        long end = Environment.TickCount64 + 3000;
        while (Environment.TickCount64 < end && await activity.WaitAsync(TimeSpan.FromMilliseconds(500), token).ConfigureAwait(false))
        {
        }
    }

    private static void Say(DeviceRollout row, string what) => Console.WriteLine($"  {row.Device}: {what}");

    private static string Short(string? space) => space is null ? "-" : space[..Math.Min(12, space.Length)];

    /// <summary>Clears the retained topics of each space the targets left (and of any other space with entries that no
    /// device runs), unless a device's status still names it or a class exists only there; returns one line for the
    /// spaces kept because of classes they alone hold, or null.</summary>
    /// <remarks>Operators may clear any topic (ops/mosquitto/acl). Devices keep their own old state aside
    /// (<c>state.&lt;space&gt;.db</c>) and never publish in a space their backbone does not produce. A moved device
    /// announces its migrated classes shortly after its status, so the loss check looks again for up to 10 s before it
    /// refuses.</remarks>
    private static async Task<string?> RetireAsync(FleetBrokerOptions endpoint, string fleet, RolloutProgress progress, FleetView view, SemaphoreSlim activity,
        bool allowLoss, CancellationToken token)
    {
        var left = progress.Devices.Where(d => d.OldSpace is not null && d.OldSpace != d.NewSpace).Select(d => d.OldSpace!);
        var kept = new List<string>();
        foreach (string space in SpaceRetirement.Candidates(view.Snapshot(), left))
        {
            FleetSnapshot snapshot = view.Snapshot();
            IReadOnlyList<string> still = SpaceRetirement.RunBy(snapshot, space);
            if (still.Count > 0)
            {
                Console.WriteLine($"space {Short(space)} not retired: still run by {string.Join(", ", still)}.");
                continue;
            }
            IReadOnlyList<(string Label, IReadOnlyList<string> Devices)> lost = SpaceRetirement.ClassesOnlyIn(snapshot, space);
            for (long end = Environment.TickCount64 + 10_000; lost.Count > 0 && !allowLoss && Environment.TickCount64 < end;)
            {
                await activity.WaitAsync(TimeSpan.FromMilliseconds(250), token).ConfigureAwait(false);
                lost = SpaceRetirement.ClassesOnlyIn(view.Snapshot(), space);
            }
            if (lost.Count > 0 && !allowLoss)
            {
                Console.WriteLine($"space {Short(space)} not retired: {lost.Count} class(es) exist only there: {SpaceRetirement.Describe(lost)}.");
                kept.Add($"{Short(space)} ({lost.Count} class(es) only there)");
                continue;
            }
            if (lost.Count > 0)
                Console.WriteLine($"space {Short(space)}: --allow-loss drops {lost.Count} class(es) that exist only there: {SpaceRetirement.Describe(lost)}.");
            using IMqttClient client = new MqttClientFactory().CreateMqttClient();
            var topics = new HashSet<string>(StringComparer.Ordinal);
            var arrived = new SemaphoreSlim(0);
            client.ApplicationMessageReceivedAsync += e =>
            {
                if (e.ApplicationMessage.Retain && e.ApplicationMessage.Payload.Length > 0)
                    lock (topics)
                        topics.Add(e.ApplicationMessage.Topic);
                arrived.Release();
                return Task.CompletedTask;
            };
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
            deadline.CancelAfter(TimeSpan.FromSeconds(10));
            await OperatorLogin.ConnectAsync(client, endpoint, $"edgecl-retire-{Environment.ProcessId}", deadline.Token, token).ConfigureAwait(false);
            await client.SubscribeAsync($"{FleetTopics.Root}/{fleet}/{space}/#", MqttQualityOfServiceLevel.AtLeastOnce, deadline.Token).ConfigureAwait(false);
            await QuietAsync(arrived, token).ConfigureAwait(false);
            string[] clear;
            lock (topics)
                clear = [.. topics.Order(StringComparer.Ordinal)];
            foreach (string topic in clear)
                await CommandSender.ClearAsync(client, topic, token).ConfigureAwait(false);
            await client.DisconnectAsync(cancellationToken: token).ConfigureAwait(false);
            Console.WriteLine($"space {Short(space)} retired: {clear.Length} retained topic(s) cleared (entries, aggregates, receipts); the devices keep their old state as state.{Short(space)}.db.");
        }
        return kept.Count == 0 ? null
            : $"not retired: space {string.Join(", ", kept)}; carry them into the new space (edgecl fleet carry), teach them again on a device that moved, move the devices that hold them, or pass --allow-loss to drop them";
    }
}
