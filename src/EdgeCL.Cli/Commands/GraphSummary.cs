using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Graph;

namespace EdgeCL.Cli.Commands;

/// <summary>Opset, operator histogram and BatchNormalization count of a model, from the ONNX graph reader.</summary>
internal static class GraphSummary
{
    public static (long? Opset, IReadOnlyDictionary<string, int>? Operators, int? BatchNormalizationNodes) Summarize(byte[] modelBytes)
    {
        OnnxModel model;
        try
        {
            model = OnnxModel.Parse(modelBytes);
        }
        catch (ModelLoadException)
        {
            return (null, null, null); // ONNX Runtime already loaded it; the summary is optional detail
        }
        if (model.Graph is not { } graph)
            return (model.OpsetVersion(), null, null);
        var ops = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (OnnxNode node in graph.Nodes)
        {
            string op = node.OpType ?? "?";
            ops[op] = ops.TryGetValue(op, out int n) ? n + 1 : 1;
        }
        return (model.OpsetVersion(), ops, graph.BatchNormalizationNodes().Count());
    }
}
