using System.Text;
using Google.Protobuf;

namespace EdgeCL.Onnx.Graph;

/// <summary>
/// Protobuf writer with two modes sharing one field visit (<see cref="IProtoMessage.Serialize"/>):
/// counting (sizes for length prefixes) and writing into an exact-size array.
/// </summary>
/// <remarks>
/// Unknown fields are re-emitted raw right after the modelled field they followed when read, so a canonically
/// written file (fields in number order) comes back byte for byte, and a non-canonical one loses nothing.
/// </remarks>
internal sealed class ProtoWriter
{
    private readonly CodedOutputStream? _output;
    private readonly Stream? _stream;
    private long _size;
    private List<UnknownField>? _unknown;
    private int _previous;

    private ProtoWriter() { }

    private ProtoWriter(Stream stream)
    {
        _stream = stream;
        _output = new CodedOutputStream(stream, leaveOpen: true);
    }

    /// <summary>Serializes a top-level message.</summary>
    internal static byte[] ToByteArray(IProtoMessage message)
    {
        int size = SizeOf(message);
        var buffer = new byte[size];
        // A fixed-capacity stream: writing past the computed size fails loudly instead of growing.
        using var stream = new MemoryStream(buffer, writable: true);
        var writer = new ProtoWriter(stream);
        writer.Body(message);
        writer._output!.Flush();
        if (stream.Position != size)
        {
            throw new InvalidOperationException($"ONNX writer size mismatch ({stream.Position} of {size} bytes written).");
        }
        return buffer;
    }

    internal void Int64(int number, long? value)
    {
        Advance(number);
        if (value is long v)
        {
            Tag(number, WireFormat.WireType.Varint);
            if (_output is null) _size += CodedOutputStream.ComputeInt64Size(v);
            else _output.WriteInt64(v);
        }
    }

    internal void Int32(int number, int? value)
    {
        Advance(number);
        if (value is int v)
        {
            Tag(number, WireFormat.WireType.Varint);
            if (_output is null) _size += CodedOutputStream.ComputeInt32Size(v);
            else _output.WriteInt32(v);
        }
    }

    internal void Float(int number, float? value)
    {
        Advance(number);
        if (value is float v)
        {
            Tag(number, WireFormat.WireType.Fixed32);
            if (_output is null) _size += 4;
            else _output.WriteFloat(v);
        }
    }

    internal void String(int number, string? value)
    {
        Advance(number);
        if (value is not null)
        {
            StringValue(number, value);
        }
    }

    internal void Strings(int number, List<string> values)
    {
        Advance(number);
        foreach (string value in values)
        {
            StringValue(number, value);
        }
    }

    internal void Bytes(int number, byte[]? value)
    {
        Advance(number);
        if (value is not null)
        {
            BytesValue(number, value);
        }
    }

    internal void BytesList(int number, List<byte[]> values)
    {
        Advance(number);
        foreach (byte[] value in values)
        {
            BytesValue(number, value);
        }
    }

    internal void Message(int number, IProtoMessage? message)
    {
        Advance(number);
        if (message is not null)
        {
            MessageValue(number, message);
        }
    }

    internal void Messages<T>(int number, List<T> messages) where T : IProtoMessage
    {
        Advance(number);
        foreach (T message in messages)
        {
            MessageValue(number, message);
        }
    }

    internal void Int64s(int number, List<long> values, bool packed) =>
        Repeated(number, values, packed, WireFormat.WireType.Varint, CodedOutputStream.ComputeInt64Size, static (o, v) => o.WriteInt64(v));

    internal void Int32s(int number, List<int> values, bool packed) =>
        Repeated(number, values, packed, WireFormat.WireType.Varint, CodedOutputStream.ComputeInt32Size, static (o, v) => o.WriteInt32(v));

    internal void UInt64s(int number, List<ulong> values, bool packed) =>
        Repeated(number, values, packed, WireFormat.WireType.Varint, CodedOutputStream.ComputeUInt64Size, static (o, v) => o.WriteUInt64(v));

    internal void Floats(int number, List<float> values, bool packed) =>
        Repeated(number, values, packed, WireFormat.WireType.Fixed32, static _ => 4, static (o, v) => o.WriteFloat(v));

    internal void Doubles(int number, List<double> values, bool packed) =>
        Repeated(number, values, packed, WireFormat.WireType.Fixed64, static _ => 8, static (o, v) => o.WriteDouble(v));

    private static int SizeOf(IProtoMessage message)
    {
        var counter = new ProtoWriter();
        counter.Body(message);
        return checked((int)counter._size);
    }

    private void Body(IProtoMessage message)
    {
        (List<UnknownField>? parentUnknown, int parentPrevious) = (_unknown, _previous);
        (_unknown, _previous) = (message.UnknownFields, 0);
        message.Serialize(this);
        Unknown(_previous, int.MaxValue);
        (_unknown, _previous) = (parentUnknown, parentPrevious);
    }

    // Called before each modelled field, in ascending number order: first re-emits the unknown fields
    // that were read after a field numbered in [previous, number), i.e. after the previous modelled field.
    private void Advance(int number)
    {
        Unknown(_previous, number);
        _previous = number;
    }

    private void Unknown(int from, int to)
    {
        if (_unknown is null)
        {
            return;
        }
        foreach (UnknownField field in _unknown)
        {
            if (field.After < from || field.After >= to)
            {
                continue;
            }
            if (_output is null)
            {
                _size += field.Raw.Length;
            }
            else
            {
                // CodedOutputStream has no public raw write: flush its buffer and append to the stream directly.
                _output.Flush();
                _stream!.Write(field.Raw);
            }
        }
    }

    private void Tag(int number, WireFormat.WireType wire)
    {
        if (_output is null) _size += CodedOutputStream.ComputeTagSize(number);
        else _output.WriteTag(number, wire);
    }

    private void Length(int length)
    {
        if (_output is null) _size += CodedOutputStream.ComputeLengthSize(length) + (long)length;
        else _output.WriteLength(length);
    }

    private void StringValue(int number, string value)
    {
        Tag(number, WireFormat.WireType.LengthDelimited);
        if (_output is null) Length(Encoding.UTF8.GetByteCount(value));
        else _output.WriteString(value);
    }

    private void BytesValue(int number, byte[] value)
    {
        Tag(number, WireFormat.WireType.LengthDelimited);
        if (_output is null) Length(value.Length);
        else _output.WriteBytes(UnsafeByteOperations.UnsafeWrap(value));
    }

    private void MessageValue(int number, IProtoMessage message)
    {
        Tag(number, WireFormat.WireType.LengthDelimited);
        int size = SizeOf(message);
        Length(size);
        if (_output is not null)
        {
            Body(message);
        }
    }

    private void Repeated<T>(int number, List<T> values, bool packed, WireFormat.WireType wire, Func<T, int> size, Action<CodedOutputStream, T> write)
    {
        Advance(number);
        if (values.Count > 0 && packed)
        {
            Tag(number, WireFormat.WireType.LengthDelimited);
            long payload = 0;
            foreach (T value in values)
            {
                payload += size(value);
            }
            Length(checked((int)payload));
            if (_output is not null)
            {
                foreach (T value in values) write(_output, value);
            }
        }
        else
        {
            foreach (T value in values)
            {
                Tag(number, wire);
                if (_output is null) _size += size(value);
                else write(_output, value);
            }
        }
    }
}
