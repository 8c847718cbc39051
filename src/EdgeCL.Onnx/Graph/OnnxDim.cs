using System.Globalization;
using Google.Protobuf;

namespace EdgeCL.Onnx.Graph;

/// <summary>ONNX <c>TensorShapeProto.Dimension</c>: a fixed size, a named symbolic size, or unknown.</summary>
/// <remarks>Converts implicitly from a number (<c>-1</c>: unknown) or a string (symbolic), so shapes read <c>("N", 3, 32, 32)</c>.</remarks>
public sealed class OnnxDim : IProtoMessage
{
    /// <summary>Field 1 <c>dim_value</c>; null when the size is symbolic or unknown.</summary>
    public long? Value { get; set; }

    /// <summary>Field 2 <c>dim_param</c> (a symbolic name such as <c>N</c>); null when absent.</summary>
    /// <remarks>Protobuf makes value/param a oneof; both are kept if a file carries both.</remarks>
    public string? Param { get; set; }

    /// <summary>Field 3 <c>denotation</c>; null when absent.</summary>
    public string? Denotation { get; set; }

    List<UnknownField>? IProtoMessage.UnknownFields { get; set; }

    /// <summary>A fixed size; a negative size means unknown (neither value nor name is written).</summary>
    public static OnnxDim FromValue(long value) => value < 0 ? new OnnxDim() : new OnnxDim { Value = value };

    /// <summary>A named symbolic size.</summary>
    public static OnnxDim FromParam(string param) => new() { Param = param };

    /// <summary>See <see cref="FromValue"/>.</summary>
    public static implicit operator OnnxDim(long value) => FromValue(value);

    /// <summary>See <see cref="FromParam"/>.</summary>
    public static implicit operator OnnxDim(string param) => FromParam(param);

    /// <summary>The size, the symbolic name, or <c>?</c>.</summary>
    public override string ToString() => Value?.ToString(CultureInfo.InvariantCulture) ?? Param ?? "?";

    bool IProtoMessage.ReadField(ProtoReader reader, int number, WireFormat.WireType wire)
    {
        switch (number)
        {
            case 1 when wire == WireFormat.WireType.Varint: Value = reader.Int64(); return true;
            case 2 when wire == WireFormat.WireType.LengthDelimited: Param = reader.String(); return true;
            case 3 when wire == WireFormat.WireType.LengthDelimited: Denotation = reader.String(); return true;
            default: return false;
        }
    }

    void IProtoMessage.Serialize(ProtoWriter writer)
    {
        writer.Int64(1, Value);
        writer.String(2, Param);
        writer.String(3, Denotation);
    }
}
