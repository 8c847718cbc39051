using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text.Json;
using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Serialization;

namespace EdgeCL.Sync.Commands;

/// <summary>Signs fleet commands with an operator key, the way devices' entries are signed (ECDSA P-256, P1363).</summary>
/// <remarks>
/// The signed body is the version-1 command JSON plus the fleet and device it is for, a random nonce and an expiry, so a
/// captured command cannot be sent to another device, sent twice, or kept for later. Operator keys are
/// <see cref="EntrySigner"/> keys named after the operator; devices hold their public halves in
/// <c>trust_dir/operators/&lt;name&gt;.pem</c>.
/// </remarks>
public static class SignedCommands
{
    /// <summary>Longest lifetime a device accepts (expiry minus now).</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromHours(1);

    /// <summary>Encodes and signs <paramref name="command"/> for its device in <paramref name="fleet"/>.</summary>
    /// <param name="command">The command (its <see cref="FleetCommand.Device"/> is the target).</param>
    /// <param name="fleet">The fleet name.</param>
    /// <param name="operatorKey">The operator's key; its name is the operator name.</param>
    /// <param name="expires">When the command stops being valid (at most <see cref="MaxLifetime"/> ahead).</param>
    public static byte[] Sign(FleetCommand command, string fleet, EntrySigner operatorKey, DateTimeOffset expires) =>
        Create(command, fleet, operatorKey, expires).Payload;

    /// <summary>As <see cref="Sign"/>, with the nonce: it is the command's id, its topic's last level and what the device acknowledges.</summary>
    public static SignedCommand Create(FleetCommand command, string fleet, EntrySigner operatorKey, DateTimeOffset expires)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(operatorKey);
        string nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        FleetCommandMessage inner = JsonSerializer.Deserialize(command.ToPayload(), SyncJsonContext.Default.FleetCommandMessage)!;
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(inner with
        {
            Fleet = fleet, Device = command.Device, Nonce = nonce, ExpiresMs = expires.ToUnixTimeMilliseconds(),
        }, SyncJsonContext.Default.FleetCommandMessage);
        byte[] signature = new byte[FleetEntryCodec.SignatureLength];
        operatorKey.Sign(body, signature);
        byte[] payload = JsonSerializer.SerializeToUtf8Bytes(new SignedCommandEnvelope { Version = 2, Operator = operatorKey.DeviceId, Body = body, Signature = signature },
            SyncJsonContext.Default.SignedCommandEnvelope);
        return new SignedCommand(command, fleet, operatorKey.DeviceId, nonce, expires.ToUnixTimeMilliseconds(), payload);
    }

    /// <summary>Reads what a signed command says without verifying it: for operators' views of the commands a broker holds
    /// (devices verify with <see cref="CommandVerifier"/>). False for anything that is not a well-formed signed command.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, [NotNullWhen(true)] out SignedCommand? command)
    {
        command = null;
        if (payload.Length > 2 * FleetCommand.MaxPayloadBytes)
            return false;
        try
        {
            if (JsonSerializer.Deserialize(payload, SyncJsonContext.Default.SignedCommandEnvelope) is not { Version: 2, Operator: { } name, Body: { } body }
                || JsonSerializer.Deserialize(body, SyncJsonContext.Default.FleetCommandMessage) is not { Fleet: { } fleet, Device: { } device, Nonce: { } nonce, ExpiresMs: { } expires } message
                || !FleetCommand.TryFromMessage(message with { Fleet = null, Device = null, Nonce = null, ExpiresMs = null }, device, out FleetCommand? parsed, out _))
                return false;
            command = new SignedCommand(parsed, fleet, name, nonce, expires, payload.ToArray());
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

/// <summary>A signed command as sent: what it says, its id (the nonce) and expiry, and the bytes that go on the wire.</summary>
/// <param name="Command">The command (its device is the target).</param>
/// <param name="Fleet">The fleet it is signed for.</param>
/// <param name="Operator">The operator whose key signed it.</param>
/// <param name="Id">The nonce: seen once by the device, the last level of its topic, and what the device acknowledges.</param>
/// <param name="ExpiresMs">Unix ms after which devices refuse it.</param>
/// <param name="Payload">The signed envelope.</param>
public sealed record SignedCommand(FleetCommand Command, string Fleet, string Operator, string Id, long ExpiresMs, byte[] Payload)
{
    /// <summary>The command's own retained slot, <c>edgecl/v1/{fleet}/cmd/{device}/{id}</c>.</summary>
    public string Topic => Topics.FleetTopics.Command(Fleet, Command.Device, Id);
}
