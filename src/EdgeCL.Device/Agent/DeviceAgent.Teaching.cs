using System.Diagnostics;
using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.Commands;

namespace EdgeCL.Device.Agent;

/// <summary>Teaching and control: the teach button, teaching sessions and the fleet commands; each only queues work for the loop.</summary>
public sealed partial class DeviceAgent
{
    /// <summary>Opens a teaching session (what the button and the <c>teach</c> command do); thread-safe.</summary>
    public void Teach(string label, string trigger = "api") => Enqueue(() => StartTeaching(label, trigger));

    private void StartTeaching(string label, string trigger)
    {
        if (_teach is not null)
            EndTeaching("replaced");
        _teachLabel = label;
        long deadline = Stopwatch.GetTimestamp() + (long)(_config.Teach.TimeoutSeconds * Stopwatch.Frequency);
        _teach = new TeachSession(label, _config.Teach.Shots, deadline, trigger);
        AgentLog.TeachStarted(_logger, label, _config.Teach.Shots, _config.Teach.TimeoutSeconds, trigger);
        UpdatePanel();
    }

    private void EndTeaching(string reason)
    {
        if (_teach is not { } teach)
            return;
        _teach = null;
        AgentLog.TeachEnded(_logger, teach.Label, teach.Learned, reason);
        UpdatePanel();
    }

    private void OnTeachHeld(object? sender, EventArgs e) => Enqueue(() =>
    {
        if (_teachLabel is { } label)
            StartTeaching(label, "button");
        else
            AgentLog.NothingToTeach(_logger);
    });

    private void OnCommand(object? sender, FleetCommandEventArgs e)
    {
        FleetCommand command = e.Command;
        AgentLog.Command(_logger, command.Kind.ToString(), command.Label, command.Nonce ?? command.Id);
        switch (command.Kind)
        {
            case FleetCommandKind.Teach when command.Label is { } label:
                if (!FleetLimits.IsValidLabel(label))
                {
                    AgentLog.CommandIgnored(_logger, "teach", $"label '{label}' cannot be synced (1..{FleetLimits.MaxLabelBytes} bytes of printable text)");
                    return;
                }
                Teach(label, "command");
                break;
            case FleetCommandKind.StopTeach:
                Enqueue(() => EndTeaching("command"));
                break;
            case FleetCommandKind.ResetAdaptation:
                ResetAdaptation("command");
                break;
            case FleetCommandKind.ForgetClass:
                _headDirty = true; // FleetDevice forgets the class itself.
                if (command.Label is { } forgotten)
                    Enqueue(() => ForgetExemplars(forgotten));
                break;
            case FleetCommandKind.FalseAlarm:
                FalseAlarm("command");
                break;
            case FleetCommandKind.NewBackbone:
                OnNewBackbone(command);
                break;
        }
    }
}
