using System.Text.Json.Serialization;

namespace EdgeCL.Device.Config;

/// <summary>Source-generated (AOT-safe) JSON for <see cref="DeviceConfig"/>: snake_case, unknown keys are errors, comments allowed.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DeviceConfig))]
public sealed partial class DeviceConfigJsonContext : JsonSerializerContext;
