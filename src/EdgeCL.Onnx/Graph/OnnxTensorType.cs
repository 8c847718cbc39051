using Google.Protobuf;

namespace EdgeCL.Onnx.Graph;

/// <summary>ONNX <c>TypeProto.Tensor</c>: element type and (optional) shape.</summary>
public sealed class OnnxTensorType : IProtoMessage
{
    /// <summary>Field 1 <c>elem_type</c>.</summary>
    public OnnxDataType? ElemType { get; set; }

    /// <summary>Field 2 <c>shape</c>; null when the rank is unknown.</summary>
    public OnnxShape? Shape { get; set; }

    List<UnknownField>? IProtoMessage.UnknownFields { get; set; }

    bool IProtoMessage.ReadField(ProtoReader reader, int number, WireFormat.WireType wire)
    {
        switch (number)
        {
            case 1 when wire == WireFormat.WireType.Varint: ElemType = (OnnxDataType)reader.Int32(); return true;
            case 2 when wire == WireFormat.WireType.LengthDelimited: Shape = reader.Message(Shape ?? new OnnxShape()); return true;
            default: return false;
        }
    }

    void IProtoMessage.Serialize(ProtoWriter writer)
    {
        writer.Int32(1, (int?)ElemType);
        writer.Message(2, Shape);
    }
}
