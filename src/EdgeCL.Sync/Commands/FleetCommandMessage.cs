using System.Text.Json.Serialization;

namespace EdgeCL.Sync.Commands;

/// <summary>The JSON form of a command: <c>{"v":1,"command":"forget_class","label":"cat","id":"42"}</c>.</summary>
internal sealed record FleetCommandMessage
{
    [JsonPropertyName("v")]
    public int Version { get; init; }

    public string? Command { get; init; }

    public string? Label { get; init; }

    public string? Backbone { get; init; }

    public string? Space { get; init; }

    public string? Id { get; init; }

    /// <summary>Signed commands only: the fleet and device the command is for, so it cannot be redirected.</summary>
    public string? Fleet { get; init; }

    /// <summary>Signed commands only: the addressed device.</summary>
    public string? Device { get; init; }

    /// <summary>Signed commands only: a random value seen once (replay protection).</summary>
    public string? Nonce { get; init; }

    /// <summary>Signed commands only: Unix ms after which the command is refused.</summary>
    [JsonPropertyName("expires_ms")]
    public long? ExpiresMs { get; init; }
}

/// <summary>A signed command: <c>{"v":2,"operator":"ops","body":"&lt;base64 JSON&gt;","sig":"&lt;base64 P-256 P1363&gt;"}</c>; the signature covers the body bytes.</summary>
internal sealed record SignedCommandEnvelope
{
    [JsonPropertyName("v")]
    public int Version { get; init; }

    public string? Operator { get; init; }

    public byte[]? Body { get; init; }

    [JsonPropertyName("sig")]
    public byte[]? Signature { get; init; }
}
