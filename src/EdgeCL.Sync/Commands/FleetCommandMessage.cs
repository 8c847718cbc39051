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
}
