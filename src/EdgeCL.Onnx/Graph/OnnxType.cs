using Google.Protobuf;

namespace EdgeCL.Onnx.Graph;

/// <summary>ONNX <c>TypeProto</c>; only the tensor case is modelled (sequence, map, optional, denotation are kept raw).</summary>
public sealed class OnnxType : IProtoMessage
{
    /// <summary>Field 1 <c>tensor_type</c>; null for non-tensor types.</summary>
    public OnnxTensorType? TensorType { get; set; }

    List<UnknownField>? IProtoMessage.UnknownFields { get; set; }

    bool IProtoMessage.ReadField(ProtoReader reader, int number, WireFormat.WireType wire)
    {
        if (number != 1 || wire != WireFormat.WireType.LengthDelimited)
        {
            return false;
        }
        TensorType = reader.Message(TensorType ?? new OnnxTensorType());
        return true;
    }

    void IProtoMessage.Serialize(ProtoWriter writer) => writer.Message(1, TensorType);
}
