using Google.Protobuf;

namespace EdgeCL.Onnx.Graph;

/// <summary>ONNX <c>ValueInfoProto</c>: a named value's type (graph inputs, outputs, value_info).</summary>
public sealed class OnnxValueInfo : IProtoMessage
{
    /// <summary>Field 1 <c>name</c>.</summary>
    public string? Name { get; set; }

    /// <summary>Field 2 <c>type</c>; null when absent.</summary>
    public OnnxType? Type { get; set; }

    /// <summary>Field 3 <c>doc_string</c>.</summary>
    public string? DocString { get; set; }

    /// <summary>Element type when this is a tensor; otherwise null.</summary>
    public OnnxDataType? ElemType => Type?.TensorType?.ElemType;

    /// <summary>Tensor dimensions; null when not a tensor or the rank is unknown.</summary>
    public IReadOnlyList<OnnxDim>? Dims => Type?.TensorType?.Shape?.Dims;

    List<UnknownField>? IProtoMessage.UnknownFields { get; set; }

    /// <summary>A tensor value; <paramref name="dims"/> null leaves the rank unknown, empty makes a scalar.</summary>
    public static OnnxValueInfo Create(string name, OnnxDataType elemType, IEnumerable<OnnxDim>? dims)
    {
        OnnxShape? shape = null;
        if (dims is not null)
        {
            shape = new OnnxShape();
            shape.Dims.AddRange(dims);
        }
        return new OnnxValueInfo
        {
            Name = name,
            Type = new OnnxType { TensorType = new OnnxTensorType { ElemType = elemType, Shape = shape } },
        };
    }

    /// <summary>Name, element type and shape, e.g. <c>image: Float[N,3,32,32]</c>.</summary>
    public override string ToString() => $"{Name}: {ElemType?.ToString() ?? "?"}{Type?.TensorType?.Shape?.ToString() ?? ""}";

    bool IProtoMessage.ReadField(ProtoReader reader, int number, WireFormat.WireType wire)
    {
        if (wire != WireFormat.WireType.LengthDelimited)
        {
            return false;
        }
        switch (number)
        {
            case 1: Name = reader.String(); return true;
            case 2: Type = reader.Message(Type ?? new OnnxType()); return true;
            case 3: DocString = reader.String(); return true;
            default: return false;
        }
    }

    void IProtoMessage.Serialize(ProtoWriter writer)
    {
        writer.String(1, Name);
        writer.Message(2, Type);
        writer.String(3, DocString);
    }
}
