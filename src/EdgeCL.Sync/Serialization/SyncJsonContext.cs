using System.Text.Json.Serialization;
using EdgeCL.Sync.Commands;
using EdgeCL.Sync.Status;

namespace EdgeCL.Sync.Serialization;

/// <summary>Source-generated JSON for the sync payloads that are JSON (status, commands); AOT-safe.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DeviceStatus))]
[JsonSerializable(typeof(DeviceHealth))]
[JsonSerializable(typeof(FleetCommandMessage))]
[JsonSerializable(typeof(SignedCommandEnvelope))]
internal sealed partial class SyncJsonContext : JsonSerializerContext;
