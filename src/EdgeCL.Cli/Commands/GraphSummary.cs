namespace EdgeCL.Cli.Commands;

/// <summary>Opset, operator histogram and BatchNormalization count of a model (filled in from the ONNX graph reader).</summary>
internal static class GraphSummary
{
    public static (long? Opset, IReadOnlyDictionary<string, int>? Operators, int? BatchNormalizationNodes) Summarize(byte[] modelBytes) => (null, null, null);
}
