using System.Runtime.InteropServices;
using System.Text;
using Google.Protobuf;

namespace EdgeCL.Onnx.Graph;

/// <summary>
/// Bounds-checked protobuf reader over one byte array: nested messages may not run past their parent,
/// nesting is limited, and every field this code does not model is kept raw.
/// </summary>
/// <remarks>Malformed input surfaces as <see cref="InvalidProtocolBufferException"/> or <see cref="InvalidDataException"/>.</remarks>
internal sealed class ProtoReader
{
    /// <summary>Deepest message nesting accepted (protobuf's own default); guards the stack against hostile files.</summary>
    internal const int MaxDepth = 100;

    // Lenient decoding: proto2 C++ (and so ONNX Runtime) does not reject bad UTF-8, so neither do we.
    private static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private readonly byte[] _buffer;
    private readonly CodedInputStream _input;
    private long _limit;
    private int _depth;

    internal ProtoReader(byte[] buffer)
    {
        _buffer = buffer;
        _input = new CodedInputStream(buffer);
        _limit = buffer.Length;
    }

    /// <summary>Byte offset reached so far (for error messages).</summary>
    internal long Position => _input.Position;

    /// <summary>Reads the whole buffer as one message.</summary>
    internal void ReadRoot(IProtoMessage message) => ReadFields(message);

    /// <summary>Reads a length-delimited sub-message into <paramref name="message"/> (merging, as protobuf does) and returns it.</summary>
    internal T Message<T>(T message) where T : IProtoMessage
    {
        long end = End(_input.ReadLength());
        if (++_depth > MaxDepth)
        {
            throw new InvalidDataException($"messages are nested more than {MaxDepth} deep");
        }
        long parentLimit = _limit;
        _limit = end;
        ReadFields(message);
        _limit = parentLimit;
        _depth--;
        return message;
    }

    internal long Int64() => _input.ReadInt64();

    internal int Int32() => _input.ReadInt32();

    internal float Float() => _input.ReadFloat();

    internal string String() => Utf8.GetString(Bytes());

    /// <summary>Reads a bytes field into an array of its own (never aliasing the input).</summary>
    internal byte[] Bytes()
    {
        ByteString bytes = _input.ReadBytes();
        // ReadBytes already copied into a fresh exact-size array: take it instead of copying again (raw_data can be large).
        return MemoryMarshal.TryGetArray(bytes.Memory, out ArraySegment<byte> segment)
            && segment.Offset == 0 && segment.Array is { } array && array.Length == segment.Count
            ? array
            : bytes.ToByteArray();
    }

    /// <summary>True when a repeated scalar arrives either packed or as the element's own wire type.</summary>
    internal static bool IsRepeated(WireFormat.WireType wire, WireFormat.WireType element) =>
        wire == element || wire == WireFormat.WireType.LengthDelimited;

    /// <summary>Reads one occurrence of a repeated scalar (packed or not) and returns whether it was packed.</summary>
    internal bool Repeated<T>(List<T> values, WireFormat.WireType wire, Func<CodedInputStream, T> read)
    {
        if (wire != WireFormat.WireType.LengthDelimited)
        {
            values.Add(read(_input));
            return false;
        }
        long end = End(_input.ReadLength());
        while (_input.Position < end)
        {
            values.Add(read(_input));
        }
        if (_input.Position != end)
        {
            throw new InvalidDataException("a packed array does not end at its stated length");
        }
        return true;
    }

    private void ReadFields(IProtoMessage message)
    {
        long end = _limit;
        int lastKnown = 0;
        while (_input.Position < end)
        {
            long start = _input.Position;
            uint tag = _input.ReadTag();
            int number = WireFormat.GetTagFieldNumber(tag);
            if (message.ReadField(this, number, WireFormat.GetTagWireType(tag)))
            {
                lastKnown = number;
            }
            else
            {
                _input.SkipLastField();
                if (_input.Position <= end)
                {
                    byte[] raw = _buffer.AsSpan((int)start, (int)(_input.Position - start)).ToArray();
                    (message.UnknownFields ??= []).Add(new UnknownField(lastKnown, raw));
                }
            }
            if (_input.Position > end)
            {
                throw new InvalidDataException("a field runs past the end of its message");
            }
        }
    }

    // End offset of a length-delimited payload starting here; it must fit inside the enclosing message.
    private long End(int length)
    {
        long end = _input.Position + length;
        if (length < 0 || end > _limit)
        {
            throw new InvalidDataException("a length runs past the end of its message");
        }
        return end;
    }
}
