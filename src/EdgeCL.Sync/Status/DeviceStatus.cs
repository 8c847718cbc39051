using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeCL.Sync.Serialization;

namespace EdgeCL.Sync.Status;

/// <summary>The retained birth / last-will payload on <c>edgecl/v1/{fleet}/status/{device}</c>.</summary>
/// <remarks>
/// JSON, e.g. <c>{"v":1,"online":true,"space":"3fa2…","session":7,"time_ms":1767225600000}</c>. The birth and the will of one
/// connection carry the same <see cref="Session"/> number (Sparkplug's bdSeq), so a late will from an older connection
/// can be told apart from the current one.
/// </remarks>
public sealed record DeviceStatus
{
    /// <summary>Payload format version (1).</summary>
    [JsonPropertyName("v")]
    public int Version { get; init; } = 1;

    /// <summary>True in a birth, false in a will or a clean goodbye.</summary>
    public bool Online { get; init; }

    /// <summary>The device's embedding space.</summary>
    public string? Space { get; init; }

    /// <summary>Connection counter of the device (increments on every connect).</summary>
    public long Session { get; init; }

    /// <summary>Unix time in milliseconds when the connection was made.</summary>
    public long TimeMs { get; init; }

    /// <summary>The agent's health report, republished periodically while online; absent in a will.</summary>
    public DeviceHealth? Health { get; init; }

    /// <summary>Unix ms when the device published this status (a will carries the time of the connection it covers).</summary>
    public long UpdatedMs { get; init; }

    /// <summary>The ids (nonces) of the signed commands this device acted on and that have not expired, latest first (at
    /// most <see cref="MaxAcked"/>): its acknowledgement, idempotent and retained with the status, so an operator view that
    /// starts later still sees it and can clear the command's retained copy.</summary>
    public IReadOnlyList<string>? Acked { get; init; }

    /// <summary>Most command ids one status acknowledges (keeps the status far below its 4 KiB limit).</summary>
    public const int MaxAcked = 16;

    /// <summary>Serialises to UTF-8 JSON.</summary>
    public byte[] ToPayload() => JsonSerializer.SerializeToUtf8Bytes(this, SyncJsonContext.Default.DeviceStatus);

    /// <summary>Parses a status payload; false for anything that is not a version-1 status.</summary>
    public static bool TryParse(ReadOnlySpan<byte> payload, [NotNullWhen(true)] out DeviceStatus? status)
    {
        status = null;
        if (payload.IsEmpty || payload.Length > 4096)
            return false;
        try
        {
            status = JsonSerializer.Deserialize(payload, SyncJsonContext.Default.DeviceStatus);
        }
        catch (JsonException)
        {
            return false;
        }
        return status is { Version: 1 };
    }
}
