using Google.Protobuf;

namespace EdgeCL.Onnx.Graph;

/// <summary>ONNX <c>StringStringEntryProto</c>: one key/value pair (model metadata).</summary>
public sealed class OnnxStringEntry : IProtoMessage
{
    /// <summary>Creates an empty entry.</summary>
    public OnnxStringEntry() { }

    /// <summary>Creates an entry with both fields set.</summary>
    public OnnxStringEntry(string key, string value)
    {
        Key = key;
        Value = value;
    }

    /// <summary>Field 1 <c>key</c>; null when absent.</summary>
    public string? Key { get; set; }

    /// <summary>Field 2 <c>value</c>; null when absent.</summary>
    public string? Value { get; set; }

    List<UnknownField>? IProtoMessage.UnknownFields { get; set; }

    bool IProtoMessage.ReadField(ProtoReader reader, int number, WireFormat.WireType wire)
    {
        if (wire != WireFormat.WireType.LengthDelimited)
        {
            return false;
        }
        switch (number)
        {
            case 1: Key = reader.String(); return true;
            case 2: Value = reader.String(); return true;
            default: return false;
        }
    }

    void IProtoMessage.Serialize(ProtoWriter writer)
    {
        writer.String(1, Key);
        writer.String(2, Value);
    }
}
