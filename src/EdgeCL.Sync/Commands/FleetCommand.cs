using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using EdgeCL.Sync.Serialization;

namespace EdgeCL.Sync.Commands;

/// <summary>A parsed command addressed to one device.</summary>
/// <remarks>
/// Wire form (UTF-8 JSON, format version 1):
/// <code>
/// {"v":1,"command":"forget_class","label":"cat"}
/// {"v":1,"command":"reset_adaptation"}
/// {"v":1,"command":"new_backbone","backbone":"speech","space":"3fa2…"}
/// {"v":1,"command":"rebirth"}
/// {"v":1,"command":"teach","label":"hello"}
/// {"v":1,"command":"stop_teach"}
/// {"v":1,"command":"false_alarm"}
/// </code>
/// An optional <c>"id"</c> is passed through so an operator can match logs. On the wire this body travels signed by an
/// operator key (<see cref="SignedCommands"/>): the broker's ACL lets only operators write <c>cmd/#</c>, and the device
/// acts only on a signature it can verify, once, before its expiry.
/// </remarks>
/// <param name="Kind">What to do.</param>
/// <param name="Device">The addressed device (from the topic).</param>
/// <param name="Label">The class for <see cref="FleetCommandKind.ForgetClass"/> and <see cref="FleetCommandKind.Teach"/>.</param>
/// <param name="Backbone">The backbone name for <see cref="FleetCommandKind.NewBackbone"/>.</param>
/// <param name="SpaceId">The expected new space id for <see cref="FleetCommandKind.NewBackbone"/>, when known.</param>
/// <param name="Id">Operator's correlation id, if any.</param>
public sealed record FleetCommand(FleetCommandKind Kind, string Device, string? Label = null, string? Backbone = null, string? SpaceId = null, string? Id = null)
{
    /// <summary>The nonce of the signed command this came in (its id on the wire, what the device acknowledges); null before verification.</summary>
    public string? Nonce { get; init; }

    /// <summary>Longest command payload accepted.</summary>
    public const int MaxPayloadBytes = 4096;

    /// <summary>Serialises the command to its wire form.</summary>
    public byte[] ToPayload() => JsonSerializer.SerializeToUtf8Bytes(
        new FleetCommandMessage { Version = 1, Command = WireName(Kind), Label = Label, Backbone = Backbone, Space = SpaceId, Id = Id },
        SyncJsonContext.Default.FleetCommandMessage);

    /// <summary>Parses a command payload for <paramref name="device"/>.</summary>
    /// <returns>False with a one-line <paramref name="error"/> when the payload is not a valid version-1 command.</returns>
    public static bool TryParse(ReadOnlySpan<byte> payload, string device, [NotNullWhen(true)] out FleetCommand? command, out string error)
    {
        command = null;
        if (payload.Length > MaxPayloadBytes)
        {
            error = $"command payload has {payload.Length} bytes; the limit is {MaxPayloadBytes}.";
            return false;
        }
        FleetCommandMessage? message;
        try
        {
            message = JsonSerializer.Deserialize(payload, SyncJsonContext.Default.FleetCommandMessage);
        }
        catch (JsonException ex)
        {
            error = $"command payload is not valid JSON ({ex.Message.Split('\n')[0]}); send e.g. {{\"v\":1,\"command\":\"rebirth\"}}.";
            return false;
        }
        return TryFromMessage(message, device, out command, out error);
    }

    /// <summary>The command named <paramref name="kind"/> (its wire name, e.g. <c>forget_class</c>) with its arguments, checked
    /// exactly as a device checks a received one; what <c>edgecl fleet command</c> and the fleet page build.</summary>
    /// <returns>False with a one-line <paramref name="error"/> for an unknown kind or a missing argument.</returns>
    public static bool TryCreate(string? kind, string device, string? label, string? backbone, [NotNullWhen(true)] out FleetCommand? command, out string error) =>
        TryFromMessage(new FleetCommandMessage { Version = 1, Command = kind, Label = label, Backbone = backbone }, device, out command, out error);

    /// <summary>The wire name of <paramref name="kind"/>, e.g. <c>forget_class</c>.</summary>
    public static string WireName(FleetCommandKind kind) => kind switch
    {
        FleetCommandKind.ForgetClass => "forget_class",
        FleetCommandKind.ResetAdaptation => "reset_adaptation",
        FleetCommandKind.NewBackbone => "new_backbone",
        FleetCommandKind.Rebirth => "rebirth",
        FleetCommandKind.Teach => "teach",
        FleetCommandKind.StopTeach => "stop_teach",
        FleetCommandKind.FalseAlarm => "false_alarm",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown command kind."),
    };

    /// <summary>The command a parsed version-1 message describes.</summary>
    internal static bool TryFromMessage(FleetCommandMessage? message, string device, [NotNullWhen(true)] out FleetCommand? command, out string error)
    {
        command = null;
        if (message is null || message.Version != 1)
        {
            error = $"command format version {message?.Version} is not supported; send \"v\":1.";
            return false;
        }
        FleetCommandKind? kind = message.Command switch
        {
            "forget_class" => FleetCommandKind.ForgetClass,
            "reset_adaptation" => FleetCommandKind.ResetAdaptation,
            "new_backbone" => FleetCommandKind.NewBackbone,
            "rebirth" => FleetCommandKind.Rebirth,
            "teach" => FleetCommandKind.Teach,
            "stop_teach" => FleetCommandKind.StopTeach,
            "false_alarm" => FleetCommandKind.FalseAlarm,
            _ => null,
        };
        if (kind is null)
        {
            error = $"unknown command '{message.Command}'; use forget_class, reset_adaptation, new_backbone, rebirth, teach, stop_teach or false_alarm.";
            return false;
        }
        if (kind is FleetCommandKind.ForgetClass or FleetCommandKind.Teach && string.IsNullOrWhiteSpace(message.Label))
        {
            error = $"{message.Command} needs a \"label\".";
            return false;
        }
        if (kind == FleetCommandKind.NewBackbone && string.IsNullOrWhiteSpace(message.Backbone))
        {
            error = "new_backbone needs a \"backbone\".";
            return false;
        }
        command = new FleetCommand(kind.Value, device, message.Label, message.Backbone, message.Space, message.Id);
        error = string.Empty;
        return true;
    }
}
