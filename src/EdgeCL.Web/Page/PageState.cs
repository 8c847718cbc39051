using System.Text.Json.Serialization;
using EdgeCL.Sync.Status;

namespace EdgeCL.Web.Page;

/// <summary>Everything the page shows besides the live recognitions (GET /api/state, and the <c>state</c> event).</summary>
internal sealed record PageState
{
    public required string Device { get; init; }
    public required string Fleet { get; init; }
    public required string Backbone { get; init; }
    public required string Kind { get; init; }
    public required string Space { get; init; }
    public required float Threshold { get; init; }
    public required float MinConfidence { get; init; }
    public required bool Adapt { get; init; }
    public string? TeachLabel { get; init; }
    public required int TeachShots { get; init; }
    public required IReadOnlyList<PageClass> Classes { get; init; }
    public required DeviceHealth Health { get; init; }
    public required string User { get; init; }
    public required bool Admin { get; init; }
    public string? Token { get; init; }
    public required long MaxUploadBytes { get; init; }
}

/// <summary>One class: this device's examples, the fleet's, and how many devices contributed.</summary>
internal sealed record PageClass(string Label, long Own, long Fleet, int Devices);

/// <summary>The answer to an action: what happened, in one line.</summary>
internal sealed record ActionResult(bool Ok, string Message);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PageState))]
[JsonSerializable(typeof(ActionResult))]
internal sealed partial class PageJsonContext : JsonSerializerContext;
