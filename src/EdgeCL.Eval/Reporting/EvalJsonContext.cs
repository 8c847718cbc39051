using System.Text.Json.Serialization;
using EdgeCL.Eval.Data;

namespace EdgeCL.Eval.Reporting;

/// <summary>Source-generated JSON for reports and manifests (AOT: no reflection).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(EvalReport))]
[JsonSerializable(typeof(ManifestLine))]
[JsonSerializable(typeof(ExportManifest))]
internal sealed partial class EvalJsonContext : JsonSerializerContext;
