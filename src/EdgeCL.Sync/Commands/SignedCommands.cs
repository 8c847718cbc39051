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
    public static byte[] Sign(FleetCommand command, string fleet, EntrySigner operatorKey, DateTimeOffset expires)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(operatorKey);
        FleetCommandMessage inner = JsonSerializer.Deserialize(command.ToPayload(), SyncJsonContext.Default.FleetCommandMessage)!;
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(inner with
        {
            Fleet = fleet, Device = command.Device, Nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            ExpiresMs = expires.ToUnixTimeMilliseconds(),
        }, SyncJsonContext.Default.FleetCommandMessage);
        byte[] signature = new byte[FleetEntryCodec.SignatureLength];
        operatorKey.Sign(body, signature);
        return JsonSerializer.SerializeToUtf8Bytes(new SignedCommandEnvelope { Version = 2, Operator = operatorKey.DeviceId, Body = body, Signature = signature },
            SyncJsonContext.Default.SignedCommandEnvelope);
    }
}
