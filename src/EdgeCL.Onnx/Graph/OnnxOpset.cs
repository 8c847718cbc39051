using Google.Protobuf;

namespace EdgeCL.Onnx.Graph;

/// <summary>ONNX <c>OperatorSetIdProto</c>: an imported operator set.</summary>
public sealed class OnnxOpset : IProtoMessage
{
    /// <summary>Creates an empty opset entry.</summary>
    public OnnxOpset() { }

    /// <summary>Creates an entry for <paramref name="domain"/> (<c>""</c>: the default ONNX domain).</summary>
    public OnnxOpset(string domain, long version)
    {
        Domain = domain;
        Version = version;
    }

    /// <summary>Field 1 <c>domain</c>; null or empty means the default ONNX domain.</summary>
    public string? Domain { get; set; }

    /// <summary>Field 2 <c>version</c>.</summary>
    public long? Version { get; set; }

    List<UnknownField>? IProtoMessage.UnknownFields { get; set; }

    bool IProtoMessage.ReadField(ProtoReader reader, int number, WireFormat.WireType wire)
    {
        switch (number)
        {
            case 1 when wire == WireFormat.WireType.LengthDelimited: Domain = reader.String(); return true;
            case 2 when wire == WireFormat.WireType.Varint: Version = reader.Int64(); return true;
            default: return false;
        }
    }

    void IProtoMessage.Serialize(ProtoWriter writer)
    {
        writer.String(1, Domain);
        writer.Int64(2, Version);
    }
}
