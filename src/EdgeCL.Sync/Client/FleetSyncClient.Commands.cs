using EdgeCL.Sync.Commands;
using EdgeCL.Sync.Topics;

namespace EdgeCL.Sync.Client;

// Commands: acted on only when signed by an operator key of FleetSyncOptions.OperatorKeys, for this device, once, in time.
public sealed partial class FleetSyncClient
{
    private readonly long[] _commandRejects = new long[Enum.GetValues<CommandRejectReason>().Length];
    private readonly HashSet<CommandRejectReason> _loggedRejects = [];
    private long _commandsRedelivered;
    private string[] _acked;

    /// <summary>Retained commands delivered again after they were acted on or expired (at every reconnect, until the
    /// broker drops them at their expiry): normal traffic, counted quietly, not as rejections.</summary>
    public long CommandsRedelivered => Interlocked.Read(ref _commandsRedelivered);

    /// <summary>Commands not acted on, per reason (every reason present, zeros included).</summary>
    public IReadOnlyDictionary<CommandRejectReason, long> CommandsRejected =>
        Enum.GetValues<CommandRejectReason>().ToDictionary(r => r, r => Interlocked.Read(ref _commandRejects[(int)r]));

    private void HandleCommand(FleetTopic topic, Inbound item)
    {
        // Empty: an operator cleared a retained command it saw acknowledged (the broker forwards the deletion); nothing to do.
        if (topic.Device != _options.DeviceId || item.Payload is null or { Length: 0 })
            return;
        if (!_commands.TryAccept(item.Payload, out FleetCommand? command, out CommandRejectReason reason, out string detail))
        {
            // A command sent retained (to reach a device that was offline) comes back on every subscribe: once acted
            // on, its nonce is remembered (across restarts), and once expired it is dead; neither is an attack.
            if (item.Retained && reason is CommandRejectReason.Replayed or CommandRejectReason.Expired)
            {
                Interlocked.Increment(ref _commandsRedelivered);
                return;
            }
            Interlocked.Increment(ref _commandRejects[(int)reason]);
            // One line per reason (the consumer is single-threaded): a flood of replays must not flood the log.
            if (_loggedRejects.Add(reason))
                Log.CommandRejected(_logger, topic.Device, reason, detail);
            return;
        }
        if (command.Kind == FleetCommandKind.Rebirth)
            RequestRebirth();
        try
        {
            CommandReceived?.Invoke(this, new FleetCommandEventArgs(command));
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(_logger, ex, nameof(CommandReceived));
        }
        // Acknowledge: the retained status now lists this command's id (offline, the next birth carries it). Not awaited,
        // so the consumer does not wait for the network.
        Volatile.Write(ref _acked, _commands.RecentlyActed(Status.DeviceStatus.MaxAcked));
        _ = RepublishStatusAsync(_stop.Token);
    }

    /// <summary>The ids of the commands acted on that the retained status acknowledges (latest expiry first).</summary>
    public IReadOnlyList<string> AcknowledgedCommands => Volatile.Read(ref _acked);
}
