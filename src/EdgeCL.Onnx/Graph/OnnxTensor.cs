using System.Buffers.Binary;
using System.Runtime.InteropServices;
using EdgeCL.Onnx.Errors;
using Google.Protobuf;
using static Google.Protobuf.WireFormat;

namespace EdgeCL.Onnx.Graph;

/// <summary>ONNX <c>TensorProto</c>: a constant tensor (initializers, tensor attributes).</summary>
/// <remarks>segment (3), external_data (13) and newer fields are kept raw.</remarks>
public sealed class OnnxTensor : IProtoMessage
{
    /// <summary><see cref="DataLocation"/> value for weights stored in a side file.</summary>
    public const int ExternalDataLocation = 1;

    /// <summary>Field 1 <c>dims</c>, outermost first (empty: a scalar).</summary>
    public List<long> Dims { get; } = [];

    /// <summary>Field 2 <c>data_type</c>.</summary>
    public OnnxDataType? DataType { get; set; }

    /// <summary>Field 4 <c>float_data</c>.</summary>
    public List<float> FloatData { get; } = [];

    /// <summary>Field 5 <c>int32_data</c>.</summary>
    public List<int> Int32Data { get; } = [];

    /// <summary>Field 6 <c>string_data</c>.</summary>
    public List<byte[]> StringData { get; } = [];

    /// <summary>Field 7 <c>int64_data</c>.</summary>
    public List<long> Int64Data { get; } = [];

    /// <summary>Field 8 <c>name</c>.</summary>
    public string? Name { get; set; }

    /// <summary>Field 9 <c>raw_data</c>: fixed-width little-endian elements; null when absent.</summary>
    public byte[]? RawData { get; set; }

    /// <summary>Field 10 <c>double_data</c>.</summary>
    public List<double> DoubleData { get; } = [];

    /// <summary>Field 11 <c>uint64_data</c>.</summary>
    public List<ulong> UInt64Data { get; } = [];

    /// <summary>Field 12 <c>doc_string</c>.</summary>
    public string? DocString { get; set; }

    /// <summary>Field 14 <c>data_location</c> (0 default, 1 external); null when absent.</summary>
    public int? DataLocation { get; set; }

    // Packed or not, as read, so that a round trip writes the same bytes. Defaults follow onnx.proto
    // (proto2: dims is unpacked, the *_data fields are declared [packed = true]).
    private bool _dimsPacked;
    private bool _floatPacked = true;
    private bool _int32Packed = true;
    private bool _int64Packed = true;
    private bool _doublePacked = true;
    private bool _uint64Packed = true;

    List<UnknownField>? IProtoMessage.UnknownFields { get; set; }

    /// <summary>A float32 tensor holding <paramref name="data"/> as raw_data (how exporters store weights).</summary>
    /// <exception cref="ArgumentException">The dims do not multiply to the data length.</exception>
    public static OnnxTensor FromFloats(string name, ReadOnlySpan<float> data, ReadOnlySpan<long> dims)
    {
        var tensor = Create(name, OnnxDataType.Float, data.Length, dims);
        byte[] raw = new byte[data.Length * sizeof(float)];
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(data).CopyTo(raw);
        }
        else
        {
            for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), data[i]);
        }
        tensor.RawData = raw;
        return tensor;
    }

    /// <summary>An int64 tensor holding <paramref name="data"/> as raw_data (shapes, axes).</summary>
    /// <exception cref="ArgumentException">The dims do not multiply to the data length.</exception>
    public static OnnxTensor FromInt64s(string name, ReadOnlySpan<long> data, ReadOnlySpan<long> dims)
    {
        var tensor = Create(name, OnnxDataType.Int64, data.Length, dims);
        byte[] raw = new byte[data.Length * sizeof(long)];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * 8), data[i]);
        tensor.RawData = raw;
        return tensor;
    }

    /// <summary>Number of elements the dims describe (1 for a scalar).</summary>
    /// <exception cref="ModelLoadException">A dim is negative or the product overflows.</exception>
    public long ElementCount()
    {
        long count = 1;
        foreach (long dim in Dims)
        {
            if (dim < 0 || (dim > 0 && count > long.MaxValue / dim))
            {
                throw Bad("has an invalid shape [" + string.Join(",", Dims) + "]", "re-export the model");
            }
            count *= dim;
        }
        return count;
    }

    /// <summary>The elements of a float32 tensor, from raw_data (little-endian) or float_data.</summary>
    /// <exception cref="ModelLoadException">The tensor is not float32, keeps its data externally, or its data does not match its dims.</exception>
    public float[] ToFloatArray()
    {
        if (DataLocation == ExternalDataLocation)
        {
            throw Bad("keeps its data in an external file", "embed the weights in the .onnx file");
        }
        if (DataType != OnnxDataType.Float)
        {
            throw Bad($"is {DataType?.ToString() ?? "untyped"}, not Float", "use a float32 model");
        }
        long count = ElementCount();
        if (RawData is { } raw)
        {
            if (raw.LongLength != count * sizeof(float))
            {
                throw Bad($"has {raw.Length} bytes of raw_data for {count} floats", "check the file / fetch it again");
            }
            var result = new float[count];
            if (BitConverter.IsLittleEndian)
            {
                MemoryMarshal.Cast<byte, float>(raw).CopyTo(result);
            }
            else
            {
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.AsSpan(i * 4));
            }
            return result;
        }
        if (FloatData.Count != count)
        {
            throw Bad($"has {FloatData.Count} float_data values for {count} elements", "check the file / fetch it again");
        }
        return [.. FloatData];
    }

    /// <summary>Name, type and dims, e.g. <c>bn.mean: Float[16]</c>.</summary>
    public override string ToString() => $"{Name}: {DataType?.ToString() ?? "?"}[{string.Join(",", Dims)}]";

    private static OnnxTensor Create(string name, OnnxDataType type, int length, ReadOnlySpan<long> dims)
    {
        ArgumentNullException.ThrowIfNull(name);
        var tensor = new OnnxTensor { Name = name, DataType = type };
        tensor.Dims.AddRange(dims);
        if (tensor.ElementCount() != length)
        {
            throw new ArgumentException($"Tensor '{name}': dims [{string.Join(",", tensor.Dims)}] describe {tensor.ElementCount()} elements but {length} were given.", nameof(dims));
        }
        return tensor;
    }

    private ModelLoadException Bad(string problem, string fix) => new($"Tensor '{Name}' {problem}; {fix}.");

    bool IProtoMessage.ReadField(ProtoReader reader, int number, WireType wire)
    {
        switch (number)
        {
            case 1 when ProtoReader.IsRepeated(wire, WireType.Varint):
                _dimsPacked = reader.Repeated(Dims, wire, static i => i.ReadInt64()); return true;
            case 2 when wire == WireType.Varint: DataType = (OnnxDataType)reader.Int32(); return true;
            case 4 when ProtoReader.IsRepeated(wire, WireType.Fixed32):
                _floatPacked = reader.Repeated(FloatData, wire, static i => i.ReadFloat()); return true;
            case 5 when ProtoReader.IsRepeated(wire, WireType.Varint):
                _int32Packed = reader.Repeated(Int32Data, wire, static i => i.ReadInt32()); return true;
            case 6 when wire == WireType.LengthDelimited: StringData.Add(reader.Bytes()); return true;
            case 7 when ProtoReader.IsRepeated(wire, WireType.Varint):
                _int64Packed = reader.Repeated(Int64Data, wire, static i => i.ReadInt64()); return true;
            case 8 when wire == WireType.LengthDelimited: Name = reader.String(); return true;
            case 9 when wire == WireType.LengthDelimited: RawData = reader.Bytes(); return true;
            case 10 when ProtoReader.IsRepeated(wire, WireType.Fixed64):
                _doublePacked = reader.Repeated(DoubleData, wire, static i => i.ReadDouble()); return true;
            case 11 when ProtoReader.IsRepeated(wire, WireType.Varint):
                _uint64Packed = reader.Repeated(UInt64Data, wire, static i => i.ReadUInt64()); return true;
            case 12 when wire == WireType.LengthDelimited: DocString = reader.String(); return true;
            case 14 when wire == WireType.Varint: DataLocation = reader.Int32(); return true;
            default: return false;
        }
    }

    void IProtoMessage.Serialize(ProtoWriter writer)
    {
        writer.Int64s(1, Dims, _dimsPacked);
        writer.Int32(2, (int?)DataType);
        writer.Floats(4, FloatData, _floatPacked);
        writer.Int32s(5, Int32Data, _int32Packed);
        writer.BytesList(6, StringData);
        writer.Int64s(7, Int64Data, _int64Packed);
        writer.String(8, Name);
        writer.Bytes(9, RawData);
        writer.Doubles(10, DoubleData, _doublePacked);
        writer.UInt64s(11, UInt64Data, _uint64Packed);
        writer.String(12, DocString);
        writer.Int32(14, DataLocation);
    }
}
