using System.Text.Json.Serialization;

namespace EdgeCL.Device.Config;

/// <summary>Source-generated (AOT-safe) JSON for <see cref="DeviceConfig"/> (and a page's <see cref="WebSettings"/> alone, for <c>edgecl fleet serve --web-config</c>): snake_case, unknown keys are errors, comments allowed.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DeviceConfig))]
[JsonSerializable(typeof(WebSettings))]
public sealed partial class DeviceConfigJsonContext : JsonSerializerContext;
