using EdgeCL.Onnx.Graph;

namespace EdgeCL.Onnx.Tests.Graph;

/// <summary>Enumerates every message object in a model (for unknown-field injection).</summary>
internal static class MessageTree
{
    public static IEnumerable<IProtoMessage> All(OnnxModel model)
    {
        yield return model;
        foreach (OnnxOpset opset in model.OpsetImports) yield return opset;
        foreach (OnnxStringEntry entry in model.MetadataProps) yield return entry;
        if (model.Graph is not null)
        {
            foreach (IProtoMessage m in Graph(model.Graph)) yield return m;
        }
    }

    private static IEnumerable<IProtoMessage> Graph(OnnxGraph graph)
    {
        yield return graph;
        foreach (OnnxNode node in graph.Nodes)
        {
            yield return node;
            foreach (OnnxAttribute attribute in node.Attributes)
            {
                yield return attribute;
                if (attribute.Tensor is not null) yield return attribute.Tensor;
                if (attribute.Graph is not null)
                {
                    foreach (IProtoMessage m in Graph(attribute.Graph)) yield return m;
                }
            }
        }
        foreach (OnnxTensor tensor in graph.Initializers) yield return tensor;
        foreach (OnnxValueInfo info in graph.Inputs.Concat(graph.Outputs).Concat(graph.ValueInfos))
        {
            yield return info;
            if (info.Type is null) continue;
            yield return info.Type;
            if (info.Type.TensorType is null) continue;
            yield return info.Type.TensorType;
            if (info.Type.TensorType.Shape is null) continue;
            yield return info.Type.TensorType.Shape;
            foreach (OnnxDim dim in info.Type.TensorType.Shape.Dims) yield return dim;
        }
    }
}
