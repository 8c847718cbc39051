using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Serialization;

namespace EdgeCL.Sync.Commands;

/// <summary>Decides whether a device acts on a command: signed by a known operator, for this fleet and device, not expired, not seen before.</summary>
/// <remarks>
/// Nonces are remembered until their command expires (at most <see cref="SignedCommands.MaxLifetime"/>), bounded by
/// <see cref="MaxRemembered"/>: when full, commands are refused as replays until the oldest expire (fail closed).
/// The memory does not survive a restart; a command captured in its lifetime could be replayed once after one. Not
/// thread-safe (the sync client calls it from its single consumer).
/// </remarks>
public sealed class CommandVerifier(TrustStore? operators, string fleet, string device, TimeProvider? time = null)
{
    /// <summary>Most nonces held at once.</summary>
    public const int MaxRemembered = 16_384;

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<string, long> _seen = new(StringComparer.Ordinal);

    /// <summary>Checks one command payload.</summary>
    /// <returns>False with the reason and a one-line detail when the device must not act on it.</returns>
    public bool TryAccept(ReadOnlySpan<byte> payload, [NotNullWhen(true)] out FleetCommand? command, out CommandRejectReason reason, out string detail)
    {
        command = null;
        reason = CommandRejectReason.Malformed;
        if (payload.Length > 2 * FleetCommand.MaxPayloadBytes)
        {
            detail = $"{payload.Length} bytes; the limit is {2 * FleetCommand.MaxPayloadBytes}";
            return false;
        }
        SignedCommandEnvelope? envelope;
        try
        {
            envelope = JsonSerializer.Deserialize(payload, SyncJsonContext.Default.SignedCommandEnvelope);
        }
        catch (JsonException ex)
        {
            detail = $"not JSON ({ex.Message.Split('\n')[0]})";
            return false;
        }
        if (envelope is { Version: 1 })
        {
            reason = CommandRejectReason.Unsigned;
            detail = "an unsigned (version 1) command; send it with 'edgecl fleet command' and an operator key";
            return false;
        }
        if (envelope is not { Version: 2, Operator: { } name, Body: { } body, Signature: { } signature })
        {
            detail = "not a signed command ({\"v\":2,\"operator\",\"body\",\"sig\"})";
            return false;
        }
        SignatureStatus verified = operators is null || !FleetLimits.IsValidDeviceId(name) ? SignatureStatus.UnknownDevice : operators.Verify(name, body, signature);
        if (verified != SignatureStatus.Valid)
        {
            reason = verified == SignatureStatus.UnknownDevice ? CommandRejectReason.Unsigned : CommandRejectReason.Forged;
            detail = verified == SignatureStatus.UnknownDevice
                ? $"operator '{name}' has no key in this device's trust_dir/operators"
                : $"the signature of operator '{name}' does not verify";
            return false;
        }
        FleetCommandMessage? message;
        try
        {
            message = JsonSerializer.Deserialize(body, SyncJsonContext.Default.FleetCommandMessage);
        }
        catch (JsonException ex)
        {
            detail = $"signed body is not JSON ({ex.Message.Split('\n')[0]})";
            return false;
        }
        if (message?.Fleet != fleet || message.Device != device)
        {
            reason = CommandRejectReason.Forged;
            detail = $"signed for {message?.Fleet}/{message?.Device}, received by {fleet}/{device}";
            return false;
        }
        if (message.Nonce is not { Length: >= 16 and <= 64 } nonce || message.ExpiresMs is not { } expires)
        {
            detail = "signed body has no nonce (16-64 characters) or no expires_ms";
            return false;
        }
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (expires < now)
        {
            reason = CommandRejectReason.Expired;
            detail = $"expired {TimeSpan.FromMilliseconds(now - expires).TotalSeconds:0.#} s ago";
            return false;
        }
        if (expires - now > (long)SignedCommands.MaxLifetime.TotalMilliseconds)
        {
            detail = $"expires more than {SignedCommands.MaxLifetime.TotalMinutes:0} minutes ahead";
            return false;
        }
        Forget(now);
        if (_seen.ContainsKey(nonce) || _seen.Count >= MaxRemembered)
        {
            reason = CommandRejectReason.Replayed;
            detail = _seen.Count >= MaxRemembered ? "too many commands in flight to remember; retry later" : $"nonce {nonce} was seen before";
            return false;
        }
        if (!FleetCommand.TryFromMessage(message with { Fleet = null, Device = null, Nonce = null, ExpiresMs = null }, device, out command, out string error))
        {
            detail = error;
            return false;
        }
        _seen[nonce] = expires;
        detail = string.Empty;
        return true;
    }

    private void Forget(long now)
    {
        if (_seen.Count < 1024)
            return;
        foreach (KeyValuePair<string, long> seen in _seen)
            if (seen.Value < now)
                _seen.Remove(seen.Key);
    }
}
