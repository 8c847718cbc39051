using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeCL.Core.Fleet;
using EdgeCL.Storage.Files;
using EdgeCL.Sync.Serialization;

namespace EdgeCL.Sync.Commands;

/// <summary>Decides whether a device acts on a command: signed by a known operator, for this fleet and device, not expired, not seen before.</summary>
/// <remarks>
/// Nonces are remembered until their command expires (at most <see cref="SignedCommands.MaxLifetime"/>), bounded by
/// <see cref="MaxRemembered"/>: when full, commands are refused as replays until the oldest expire (fail closed).
/// With a <c>noncePath</c> (the agent gives <c>state_dir/command-nonces</c>) the memory survives a restart: each
/// accepted nonce is written (atomically, fsynced) before the command is acted on, and one that cannot be written is
/// refused (fail closed), so a command captured in its lifetime cannot be replayed after a restart either. Without a
/// path (tests, simulations) the memory is the process's. Not thread-safe (the sync client calls it from its single
/// consumer).
/// </remarks>
public sealed class CommandVerifier
{
    /// <summary>Most nonces held at once.</summary>
    public const int MaxRemembered = 16_384;

    private readonly TrustStore? _operators;
    private readonly string _fleet;
    private readonly string _device;
    private readonly string? _noncePath;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, long> _seen = new(StringComparer.Ordinal);

    /// <summary>A verifier for one device.</summary>
    /// <param name="operators">The operators' public keys; null refuses every command.</param>
    /// <param name="fleet">This device's fleet.</param>
    /// <param name="device">This device's id.</param>
    /// <param name="time">The clock (tests).</param>
    /// <param name="noncePath">Where accepted nonces are kept across restarts, or null.</param>
    public CommandVerifier(TrustStore? operators, string fleet, string device, TimeProvider? time = null, string? noncePath = null)
    {
        _operators = operators;
        _fleet = fleet;
        _device = device;
        _time = time ?? TimeProvider.System;
        _noncePath = noncePath;
        LoadProblem = noncePath is null ? null : Load(noncePath);
    }

    /// <summary>Why the remembered nonces could not be read at start (they are then forgotten), or null.</summary>
    public string? LoadProblem { get; }

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
        SignatureStatus verified = _operators is null || !FleetLimits.IsValidDeviceId(name) ? SignatureStatus.UnknownDevice : _operators.Verify(name, body, signature);
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
        if (message?.Fleet != _fleet || message.Device != _device)
        {
            reason = CommandRejectReason.Forged;
            detail = $"signed for {message?.Fleet}/{message?.Device}, received by {_fleet}/{_device}";
            return false;
        }
        if (message.Nonce is not { Length: >= 16 and <= 64 } nonce || !IsNonceText(nonce) || message.ExpiresMs is not { } expires)
        {
            detail = "signed body has no nonce (16-64 characters of A-Z, a-z, 0-9, '-', '_') or no expires_ms";
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
        if (!FleetCommand.TryFromMessage(message with { Fleet = null, Device = null, Nonce = null, ExpiresMs = null }, _device, out command, out string error))
        {
            detail = error;
            return false;
        }
        _seen[nonce] = expires;
        if (Save(now) is { } saveProblem)
        {
            _seen.Remove(nonce);
            command = null;
            reason = CommandRejectReason.Unrecorded;
            detail = $"its nonce cannot be remembered ({saveProblem}), so it is not acted on; free space in the state folder and resend";
            return false;
        }
        command = command with { Nonce = nonce };
        detail = string.Empty;
        return true;
    }

    /// <summary>The nonces of the commands acted on that have not expired yet, latest expiry first, at most
    /// <paramref name="max"/>: what the device acknowledges in its retained status (they survive a restart with the nonce file).</summary>
    public string[] RecentlyActed(int max)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        return [.. _seen.Where(s => s.Value >= now).OrderByDescending(s => s.Value).ThenBy(s => s.Key, StringComparer.Ordinal).Take(max).Select(s => s.Key)];
    }

    private static bool IsNonceText(string nonce)
    {
        foreach (char c in nonce)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
                return false;
        return true;
    }

    // Reads "nonce<TAB>expires_ms" lines, keeping the unexpired ones.
    private string? Load(string path)
    {
        string[] lines;
        try
        {
            if (!File.Exists(path))
                return null;
            lines = File.ReadAllLines(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"'{path}' cannot be read: {ex.Message}";
        }
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (string line in lines)
        {
            int tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab is < 16 or > 64 || !IsNonceText(line[..tab]) || !long.TryParse(line.AsSpan(tab + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long expires))
            {
                _seen.Clear();
                return $"'{path}' is not a list of command nonces (line '{(line.Length > 40 ? line[..40] + "…" : line)}')";
            }
            if (expires >= now && _seen.Count < MaxRemembered)
                _seen[line[..tab]] = expires;
        }
        return null;
    }

    private string? Save(long now)
    {
        if (_noncePath is null)
            return null;
        var text = new StringBuilder();
        foreach (KeyValuePair<string, long> seen in _seen)
            if (seen.Value >= now)
                text.Append(seen.Key).Append('\t').Append(seen.Value.ToString(CultureInfo.InvariantCulture)).Append('\n');
        try
        {
            AtomicFile.WriteAllBytes(_noncePath, Encoding.UTF8.GetBytes(text.ToString()));
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ex.Message.Split('\n')[0];
        }
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
