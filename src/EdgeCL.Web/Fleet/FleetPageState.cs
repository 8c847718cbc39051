using System.Text.Json.Serialization;
using EdgeCL.Sync.Operator;

namespace EdgeCL.Web.Fleet;

/// <summary>Everything the fleet page shows (GET /api/fleet, and the <c>state</c> event).</summary>
internal sealed record FleetPageState
{
    public required string Fleet { get; init; }
    public required string Broker { get; init; }
    public required bool Connected { get; init; }
    public string? BrokerError { get; init; }
    public required bool Verified { get; init; }
    public string? Operator { get; init; }
    public required long CommandSeconds { get; init; }
    public required long NowMs { get; init; }
    public required IReadOnlyList<FleetDeviceView> Devices { get; init; }
    public required IReadOnlyList<FleetLabelView> Classes { get; init; }
    public required IReadOnlyList<FleetCommandView> Commands { get; init; }
    public required IReadOnlyDictionary<string, long> Drops { get; init; }
    public required string User { get; init; }
    public required bool Admin { get; init; }
    public string? Token { get; init; }
}

/// <summary>The answer to a command from the page: its id and one line.</summary>
internal sealed record FleetCommandSent(string Id, string Message);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(FleetPageState))]
[JsonSerializable(typeof(FleetCommandSent))]
internal sealed partial class FleetPageJsonContext : JsonSerializerContext;
