using System.Buffers.Binary;
using EdgeCL.Core.Errors;

namespace EdgeCL.Core.Serialization;

/// <summary>Bounds-checked little-endian reader over a span; running past the end is a <see cref="StateFormatException"/>.</summary>
public ref struct SpanReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    /// <summary>Starts reading at the beginning of <paramref name="data"/>.</summary>
    public SpanReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    /// <summary>Bytes not yet read.</summary>
    public readonly int Remaining => _data.Length - _position;

    /// <summary>Bytes read so far.</summary>
    public readonly int Position => _position;

    /// <summary>Reads <paramref name="count"/> raw bytes.</summary>
    public ReadOnlySpan<byte> Bytes(int count)
    {
        if (count < 0 || count > Remaining)
            throw new StateFormatException($"Data is truncated: needed {count} bytes at offset {_position}, {Remaining} left.");
        ReadOnlySpan<byte> s = _data.Slice(_position, count);
        _position += count;
        return s;
    }

    /// <summary>Skips <paramref name="count"/> bytes.</summary>
    public void Skip(int count) => Bytes(count);

    /// <summary>Reads a byte.</summary>
    public byte U8() => Bytes(1)[0];

    /// <summary>Reads a little-endian u16.</summary>
    public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2));

    /// <summary>Reads a little-endian i32.</summary>
    public int I32() => BinaryPrimitives.ReadInt32LittleEndian(Bytes(4));

    /// <summary>Reads a little-endian u32.</summary>
    public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4));

    /// <summary>Reads a little-endian i64.</summary>
    public long I64() => BinaryPrimitives.ReadInt64LittleEndian(Bytes(8));

    /// <summary>Reads a u16-length-prefixed UTF-8 string; invalid UTF-8 is a <see cref="StateFormatException"/> that names <paramref name="what"/>.</summary>
    public string Utf8(string what)
    {
        int length = U16();
        try
        {
            return new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Bytes(length));
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw new StateFormatException($"{what} holds a string that is not valid UTF-8; the data is corrupt.");
        }
    }

    /// <summary>Reads a little-endian f32.</summary>
    public float F32() => BinaryPrimitives.ReadSingleLittleEndian(Bytes(4));
}
