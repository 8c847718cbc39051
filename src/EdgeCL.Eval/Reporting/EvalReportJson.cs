using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace EdgeCL.Eval.Reporting;

/// <summary>Source-generated (de)serialisation of <see cref="EvalReport"/> for callers outside this assembly.</summary>
public static class EvalReportJson
{
    /// <summary>The type info for <see cref="EvalReport"/>.</summary>
    public static JsonTypeInfo<EvalReport> Default => EvalJsonContext.Default.EvalReport;

    /// <summary>Reads a report.json.</summary>
    /// <exception cref="JsonException">Malformed.</exception>
    public static EvalReport Read(string path) =>
        JsonSerializer.Deserialize(File.ReadAllText(path), EvalJsonContext.Default.EvalReport) ?? throw new JsonException($"'{path}' holds no report.");
}
