using Google.Protobuf;

namespace EdgeCL.Onnx.Graph;

/// <summary>ONNX <c>TensorShapeProto</c>: the dimensions of a tensor type (empty: a scalar).</summary>
public sealed class OnnxShape : IProtoMessage
{
    /// <summary>Field 1 <c>dim</c>, outermost first.</summary>
    public List<OnnxDim> Dims { get; } = [];

    List<UnknownField>? IProtoMessage.UnknownFields { get; set; }

    /// <summary>Dimensions as text, e.g. <c>[N,3,32,32]</c>.</summary>
    public override string ToString() => "[" + string.Join(",", Dims) + "]";

    bool IProtoMessage.ReadField(ProtoReader reader, int number, WireFormat.WireType wire)
    {
        if (number != 1 || wire != WireFormat.WireType.LengthDelimited)
        {
            return false;
        }
        Dims.Add(reader.Message(new OnnxDim()));
        return true;
    }

    void IProtoMessage.Serialize(ProtoWriter writer) => writer.Messages(1, Dims);
}
