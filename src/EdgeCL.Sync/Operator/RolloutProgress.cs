namespace EdgeCL.Sync.Operator;

/// <summary>
/// Where each device of a backbone rollout (<c>edgecl fleet rollout</c>) stands, read from the fleet's retained statuses:
/// a device has <see cref="RolloutState.Moved"/> when it is online on the new backbone (its health's model, or a space
/// other than the one it had once it acknowledged the command); it has <see cref="RolloutState.Refused"/> when its health
/// lists the command's id with a reason (the device's negative acknowledgement).
/// </summary>
/// <param name="backbone">The backbone the rollout moves to.</param>
public sealed class RolloutProgress(string backbone)
{
    private readonly Dictionary<string, DeviceRollout> _devices = new(StringComparer.Ordinal);

    /// <summary>The backbone the rollout moves to.</summary>
    public string Backbone { get; } = backbone;

    /// <summary>Every target, by id.</summary>
    public IReadOnlyList<DeviceRollout> Devices => [.. _devices.Values.OrderBy(d => d.Device, StringComparer.Ordinal)];

    /// <summary>Whether every target has moved or refused (nothing more to wait for).</summary>
    public bool Finished => _devices.Values.All(d => d.State is RolloutState.Moved or RolloutState.Refused);

    /// <summary>Whether every target runs the new backbone.</summary>
    public bool AllMoved => _devices.Values.All(d => d.State == RolloutState.Moved);

    /// <summary>Adds a target as <paramref name="view"/> shows it before any command: already on the backbone, or waiting.</summary>
    public DeviceRollout Add(string device, FleetDeviceView? view)
    {
        bool already = view is { Online: true } && view.Health?.Model == Backbone;
        var row = new DeviceRollout(device, view?.Space, already ? view!.Space : null, already ? RolloutState.Moved : RolloutState.Waiting, already ? "already on it" : null, null);
        _devices[device] = row;
        return row;
    }

    /// <summary>Notes that <paramref name="device"/>'s command went out as <paramref name="commandId"/>.</summary>
    public DeviceRollout Sent(string device, string commandId) =>
        _devices[device] = _devices[device] with { State = RolloutState.Sent, CommandId = commandId };

    /// <summary>Takes the fleet's state; returns the targets whose state changed.</summary>
    public IReadOnlyList<DeviceRollout> Update(FleetSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var changed = new List<DeviceRollout>();
        foreach (DeviceRollout row in _devices.Values.ToList())
        {
            if (row.State is RolloutState.Moved or RolloutState.Refused or RolloutState.Waiting || row.CommandId is not { } id)
                continue;
            FleetDeviceView? view = snapshot.Devices.FirstOrDefault(d => d.Device == row.Device);
            bool acked = snapshot.Commands.Any(c => c.Id == id && c.State == "done");
            DeviceRollout next = row;
            if (view?.Health?.Refused is { } refused && refused.TryGetValue(id, out string? reason))
                next = row with { State = RolloutState.Refused, Detail = reason };
            else if (view is { Online: true } && (view.Health?.Model == Backbone || acked && row.OldSpace is not null && view.Space != row.OldSpace))
                next = row with { State = RolloutState.Moved, NewSpace = view.Space, Detail = null };
            else if (acked && row.State == RolloutState.Sent)
                next = row with { State = RolloutState.Acknowledged };
            if (next != row)
                changed.Add(_devices[row.Device] = next);
        }
        return changed;
    }

    /// <summary>Why a target that has not moved did not, at the end: its refusal, or what the statuses say.</summary>
    public static string WhyNot(DeviceRollout row, FleetDeviceView? view)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row.State switch
        {
            RolloutState.Moved => "moved",
            RolloutState.Refused => $"refused: {row.Detail}",
            _ when view?.Online != true => view is null ? "offline (never seen)" : "offline",
            RolloutState.Acknowledged => "timed out (acknowledged, not back on the new backbone)",
            _ => "timed out (no acknowledgement)",
        };
    }
}

/// <summary>One target of a rollout.</summary>
/// <param name="Device">Device id.</param>
/// <param name="OldSpace">The space its status named before the command (null: no status seen).</param>
/// <param name="NewSpace">The space it reports once moved.</param>
/// <param name="State">Where it stands.</param>
/// <param name="Detail">The refusal's reason, or a note.</param>
/// <param name="CommandId">The id of the command sent to it.</param>
public sealed record DeviceRollout(string Device, string? OldSpace, string? NewSpace, RolloutState State, string? Detail, string? CommandId);

/// <summary>Where one device of a rollout stands.</summary>
public enum RolloutState
{
    /// <summary>No command sent yet.</summary>
    Waiting,

    /// <summary>The command is on the broker.</summary>
    Sent,

    /// <summary>The device's status acknowledges the command (it handled it; not yet back on the new backbone).</summary>
    Acknowledged,

    /// <summary>Online on the new backbone.</summary>
    Moved,

    /// <summary>The device refused the command; <see cref="DeviceRollout.Detail"/> says why.</summary>
    Refused,
}
