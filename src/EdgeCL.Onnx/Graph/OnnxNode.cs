using Google.Protobuf;
using static Google.Protobuf.WireFormat;

namespace EdgeCL.Onnx.Graph;

/// <summary>ONNX <c>NodeProto</c>: one operator call.</summary>
public sealed class OnnxNode : IProtoMessage
{
    /// <summary>Field 1 <c>input</c>: value names, <c>""</c> for an omitted optional input.</summary>
    public List<string> Inputs { get; } = [];

    /// <summary>Field 2 <c>output</c>: value names.</summary>
    public List<string> Outputs { get; } = [];

    /// <summary>Field 3 <c>name</c>.</summary>
    public string? Name { get; set; }

    /// <summary>Field 4 <c>op_type</c>, e.g. <c>BatchNormalization</c>.</summary>
    public string? OpType { get; set; }

    /// <summary>Field 5 <c>attribute</c>.</summary>
    public List<OnnxAttribute> Attributes { get; } = [];

    /// <summary>Field 6 <c>doc_string</c>.</summary>
    public string? DocString { get; set; }

    /// <summary>Field 7 <c>domain</c>; null or empty is the default ONNX domain.</summary>
    public string? Domain { get; set; }

    List<UnknownField>? IProtoMessage.UnknownFields { get; set; }

    /// <summary>The attribute called <paramref name="name"/>, or null.</summary>
    public OnnxAttribute? FindAttribute(string name) => Attributes.Find(a => a.Name == name);

    /// <summary>Replaces the attribute of the same name, or appends it.</summary>
    public void SetAttribute(OnnxAttribute attribute)
    {
        ArgumentNullException.ThrowIfNull(attribute);
        int index = Attributes.FindIndex(a => a.Name == attribute.Name);
        if (index >= 0) Attributes[index] = attribute;
        else Attributes.Add(attribute);
    }

    /// <summary>Op type, name and wiring, e.g. <c>Relu 'relu0' (x) -> (y)</c>.</summary>
    public override string ToString() => $"{OpType} '{Name}' ({string.Join(", ", Inputs)}) -> ({string.Join(", ", Outputs)})";

    bool IProtoMessage.ReadField(ProtoReader reader, int number, WireType wire)
    {
        if (wire != WireType.LengthDelimited)
        {
            return false;
        }
        switch (number)
        {
            case 1: Inputs.Add(reader.String()); return true;
            case 2: Outputs.Add(reader.String()); return true;
            case 3: Name = reader.String(); return true;
            case 4: OpType = reader.String(); return true;
            case 5: Attributes.Add(reader.Message(new OnnxAttribute())); return true;
            case 6: DocString = reader.String(); return true;
            case 7: Domain = reader.String(); return true;
            default: return false;
        }
    }

    void IProtoMessage.Serialize(ProtoWriter writer)
    {
        writer.Strings(1, Inputs);
        writer.Strings(2, Outputs);
        writer.String(3, Name);
        writer.String(4, OpType);
        writer.Messages(5, Attributes);
        writer.String(6, DocString);
        writer.String(7, Domain);
    }
}
