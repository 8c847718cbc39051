using EdgeCL.Onnx.Errors;
using Google.Protobuf;
using static Google.Protobuf.WireFormat;

namespace EdgeCL.Onnx.Graph;

/// <summary>ONNX <c>GraphProto</c>: nodes, weights, inputs and outputs, plus editing helpers.</summary>
/// <remarks>sparse_initializer (15), quantization_annotation (14) and newer fields are kept raw.</remarks>
public sealed class OnnxGraph : IProtoMessage
{
    /// <summary>Op type of batch normalization nodes.</summary>
    public const string BatchNormalization = "BatchNormalization";

    /// <summary>Field 1 <c>node</c>, in topological order.</summary>
    public List<OnnxNode> Nodes { get; } = [];

    /// <summary>Field 2 <c>name</c>.</summary>
    public string? Name { get; set; }

    /// <summary>Field 5 <c>initializer</c>: constant tensors (weights).</summary>
    public List<OnnxTensor> Initializers { get; } = [];

    /// <summary>Field 10 <c>doc_string</c>.</summary>
    public string? DocString { get; set; }

    /// <summary>Field 11 <c>input</c>.</summary>
    public List<OnnxValueInfo> Inputs { get; } = [];

    /// <summary>Field 12 <c>output</c>.</summary>
    public List<OnnxValueInfo> Outputs { get; } = [];

    /// <summary>Field 13 <c>value_info</c>: types of intermediate values.</summary>
    public List<OnnxValueInfo> ValueInfos { get; } = [];

    List<UnknownField>? IProtoMessage.UnknownFields { get; set; }

    /// <summary>The node that produces <paramref name="output"/>, or null (graph input, initializer, unknown).</summary>
    public OnnxNode? FindNodeByOutput(string output) => Nodes.Find(n => n.Outputs.Contains(output));

    /// <summary>Nodes that read <paramref name="value"/>, in graph order.</summary>
    public IReadOnlyList<OnnxNode> FindConsumers(string value) => Nodes.FindAll(n => n.Inputs.Contains(value));

    /// <summary>Nodes of one op type in the default ONNX domain, in graph order.</summary>
    public IReadOnlyList<OnnxNode> NodesOfType(string opType) =>
        Nodes.FindAll(n => n.OpType == opType && string.IsNullOrEmpty(n.Domain));

    /// <summary>The BatchNormalization nodes, in graph order (inputs: X, scale, B, mean, var).</summary>
    public IReadOnlyList<OnnxNode> BatchNormalizationNodes() => NodesOfType(BatchNormalization);

    /// <summary>The initializer called <paramref name="name"/>, or null.</summary>
    public OnnxTensor? FindInitializer(string name) => Initializers.Find(t => t.Name == name);

    /// <summary>The graph input called <paramref name="name"/>, or null.</summary>
    public OnnxValueInfo? FindInput(string name) => Inputs.Find(v => v.Name == name);

    /// <summary>The graph output called <paramref name="name"/>, or null.</summary>
    public OnnxValueInfo? FindOutput(string name) => Outputs.Find(v => v.Name == name);

    /// <summary>The elements of a float32 initializer.</summary>
    /// <exception cref="ModelLoadException">There is no such initializer, or it is not readable as float32.</exception>
    public float[] GetInitializerFloats(string name) =>
        (FindInitializer(name) ?? throw new ModelLoadException($"Graph '{Name}' has no initializer '{name}'; check the model matches this backbone.")).ToFloatArray();

    /// <summary>Replaces the initializer of the same name in place, or appends a new one; returns it.</summary>
    /// <exception cref="ArgumentException">The dims do not multiply to the data length.</exception>
    public OnnxTensor SetFloatInitializer(string name, ReadOnlySpan<float> data, ReadOnlySpan<long> dims)
    {
        OnnxTensor tensor = OnnxTensor.FromFloats(name, data, dims);
        int index = Initializers.FindIndex(t => t.Name == name);
        if (index >= 0) Initializers[index] = tensor;
        else Initializers.Add(tensor);
        return tensor;
    }

    /// <summary>Removes and returns the initializer called <paramref name="name"/>, or returns null.</summary>
    public OnnxTensor? RemoveInitializer(string name)
    {
        int index = Initializers.FindIndex(t => t.Name == name);
        if (index < 0) return null;
        OnnxTensor tensor = Initializers[index];
        Initializers.RemoveAt(index);
        return tensor;
    }

    /// <summary>Appends a tensor graph input; dims take numbers (<c>-1</c>: unknown) and symbolic names; none: a scalar, null: unknown rank.</summary>
    /// <exception cref="InvalidOperationException">An input of that name exists already.</exception>
    public OnnxValueInfo AddInput(string name, OnnxDataType elemType, params OnnxDim[]? dims) =>
        Add(Inputs, "input", name, elemType, dims);

    /// <summary>Appends a tensor graph output; dims as for <see cref="AddInput"/>.</summary>
    /// <exception cref="InvalidOperationException">An output of that name exists already.</exception>
    public OnnxValueInfo AddOutput(string name, OnnxDataType elemType, params OnnxDim[]? dims) =>
        Add(Outputs, "output", name, elemType, dims);

    private static OnnxValueInfo Add(List<OnnxValueInfo> list, string kind, string name, OnnxDataType elemType, OnnxDim[]? dims)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (list.Exists(v => v.Name == name))
        {
            throw new InvalidOperationException($"The graph already has an {kind} '{name}'.");
        }
        OnnxValueInfo info = OnnxValueInfo.Create(name, elemType, dims);
        list.Add(info);
        return info;
    }

    bool IProtoMessage.ReadField(ProtoReader reader, int number, WireType wire)
    {
        if (wire != WireType.LengthDelimited)
        {
            return false;
        }
        switch (number)
        {
            case 1: Nodes.Add(reader.Message(new OnnxNode())); return true;
            case 2: Name = reader.String(); return true;
            case 5: Initializers.Add(reader.Message(new OnnxTensor())); return true;
            case 10: DocString = reader.String(); return true;
            case 11: Inputs.Add(reader.Message(new OnnxValueInfo())); return true;
            case 12: Outputs.Add(reader.Message(new OnnxValueInfo())); return true;
            case 13: ValueInfos.Add(reader.Message(new OnnxValueInfo())); return true;
            default: return false;
        }
    }

    void IProtoMessage.Serialize(ProtoWriter writer)
    {
        writer.Messages(1, Nodes);
        writer.String(2, Name);
        writer.Messages(5, Initializers);
        writer.String(10, DocString);
        writer.Messages(11, Inputs);
        writer.Messages(12, Outputs);
        writer.Messages(13, ValueInfos);
    }
}
