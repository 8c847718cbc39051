using System.Text;
using Google.Protobuf;
using static Google.Protobuf.WireFormat;

namespace EdgeCL.Onnx.Graph;

/// <summary>ONNX <c>AttributeProto</c>: a named node attribute.</summary>
/// <remarks>tensors, graphs, sparse tensors, type protos, doc_string and ref_attr_name are kept raw.</remarks>
public sealed class OnnxAttribute : IProtoMessage
{
    // proto2 repeated scalars without [packed = true] are written unpacked; remember what was read.
    private bool _floatsPacked;
    private bool _intsPacked;

    /// <summary>Field 1 <c>name</c>.</summary>
    public string? Name { get; set; }

    /// <summary>Field 20 <c>type</c>: which value field is in use.</summary>
    public OnnxAttributeType? Type { get; set; }

    /// <summary>Field 2 <c>f</c>.</summary>
    public float? Float { get; set; }

    /// <summary>Field 3 <c>i</c>.</summary>
    public long? Int { get; set; }

    /// <summary>Field 4 <c>s</c> (bytes, usually UTF-8).</summary>
    public byte[]? Bytes { get; set; }

    /// <summary>Field 5 <c>t</c>.</summary>
    public OnnxTensor? Tensor { get; set; }

    /// <summary>Field 6 <c>g</c> (a subgraph, e.g. of If or Loop).</summary>
    public OnnxGraph? Graph { get; set; }

    /// <summary>Field 7 <c>floats</c>.</summary>
    public List<float> Floats { get; } = [];

    /// <summary>Field 8 <c>ints</c>.</summary>
    public List<long> Ints { get; } = [];

    /// <summary>Field 9 <c>strings</c>.</summary>
    public List<byte[]> Strings { get; } = [];

    /// <summary><see cref="Bytes"/> decoded as UTF-8; null when absent.</summary>
    public string? StringValue => Bytes is null ? null : Encoding.UTF8.GetString(Bytes);

    List<UnknownField>? IProtoMessage.UnknownFields { get; set; }

    /// <summary>An INT attribute.</summary>
    public static OnnxAttribute FromInt(string name, long value) => new() { Name = name, Type = OnnxAttributeType.Int, Int = value };

    /// <summary>A FLOAT attribute.</summary>
    public static OnnxAttribute FromFloat(string name, float value) => new() { Name = name, Type = OnnxAttributeType.Float, Float = value };

    /// <summary>A STRING attribute (UTF-8).</summary>
    public static OnnxAttribute FromString(string name, string value) =>
        new() { Name = name, Type = OnnxAttributeType.String, Bytes = Encoding.UTF8.GetBytes(value) };

    /// <summary>An INTS attribute.</summary>
    public static OnnxAttribute FromInts(string name, params ReadOnlySpan<long> values)
    {
        var attribute = new OnnxAttribute { Name = name, Type = OnnxAttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    /// <summary>A FLOATS attribute.</summary>
    public static OnnxAttribute FromFloats(string name, params ReadOnlySpan<float> values)
    {
        var attribute = new OnnxAttribute { Name = name, Type = OnnxAttributeType.Floats };
        attribute.Floats.AddRange(values);
        return attribute;
    }

    /// <summary>A TENSOR attribute (e.g. the value of a Constant node).</summary>
    public static OnnxAttribute FromTensor(string name, OnnxTensor value) => new() { Name = name, Type = OnnxAttributeType.Tensor, Tensor = value };

    /// <summary>Name and type, e.g. <c>epsilon: Float</c>.</summary>
    public override string ToString() => $"{Name}: {Type?.ToString() ?? "?"}";

    bool IProtoMessage.ReadField(ProtoReader reader, int number, WireType wire)
    {
        switch (number)
        {
            case 1 when wire == WireType.LengthDelimited: Name = reader.String(); return true;
            case 2 when wire == WireType.Fixed32: Float = reader.Float(); return true;
            case 3 when wire == WireType.Varint: Int = reader.Int64(); return true;
            case 4 when wire == WireType.LengthDelimited: Bytes = reader.Bytes(); return true;
            case 5 when wire == WireType.LengthDelimited: Tensor = reader.Message(Tensor ?? new OnnxTensor()); return true;
            case 6 when wire == WireType.LengthDelimited: Graph = reader.Message(Graph ?? new OnnxGraph()); return true;
            case 7 when ProtoReader.IsRepeated(wire, WireType.Fixed32):
                _floatsPacked = reader.Repeated(Floats, wire, static i => i.ReadFloat()); return true;
            case 8 when ProtoReader.IsRepeated(wire, WireType.Varint):
                _intsPacked = reader.Repeated(Ints, wire, static i => i.ReadInt64()); return true;
            case 9 when wire == WireType.LengthDelimited: Strings.Add(reader.Bytes()); return true;
            case 20 when wire == WireType.Varint: Type = (OnnxAttributeType)reader.Int32(); return true;
            default: return false;
        }
    }

    void IProtoMessage.Serialize(ProtoWriter writer)
    {
        writer.String(1, Name);
        writer.Float(2, Float);
        writer.Int64(3, Int);
        writer.Bytes(4, Bytes);
        writer.Message(5, Tensor);
        writer.Message(6, Graph);
        writer.Floats(7, Floats, _floatsPacked);
        writer.Int64s(8, Ints, _intsPacked);
        writer.BytesList(9, Strings);
        writer.Int32(20, (int?)Type);
    }
}
