using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using EdgeCL.Core.Errors;

namespace EdgeCL.Core.Serialization;

/// <summary>NumPy <c>.npy</c> (format 1.0) for float32 little-endian C-order arrays: the exchange format with peer libraries.</summary>
public static class Npy
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Writes a float32 array of the given shape.</summary>
    public static void Write(Stream stream, ReadOnlySpan<float> data, ReadOnlySpan<int> shape)
    {
        ArgumentNullException.ThrowIfNull(stream);
        long count = 1;
        foreach (int d in shape) count *= d;
        if (count != data.Length)
            throw new ArgumentException($"Shape holds {count} values but data has {data.Length}.");
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape.ToArray().Select(d => d.ToString(CultureInfo.InvariantCulture)));
        string header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({dims}), }}";
        // Pad so that data starts on a 64-byte boundary, header ends with '\n' (format 1.0).
        int total = Magic.Length + 2 + 2 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
        stream.Write(Magic);
        stream.WriteByte(1);
        stream.WriteByte(0);
        ushort headerLength = (ushort)header.Length;
        stream.WriteByte((byte)headerLength);
        stream.WriteByte((byte)(headerLength >> 8));
        stream.Write(Encoding.ASCII.GetBytes(header));
        stream.Write(MemoryMarshal.AsBytes(data));
    }

    /// <summary>Reads a float32 C-order array.</summary>
    /// <exception cref="StateFormatException">Not a float32 little-endian C-order .npy, or truncated.</exception>
    public static (float[] Data, int[] Shape) Read(ReadOnlySpan<byte> bytes)
    {
        var r = new SpanReader(bytes);
        if (bytes.Length < 10 || !r.Bytes(6).SequenceEqual(Magic))
            throw new StateFormatException("Not a .npy file (missing \\x93NUMPY magic).");
        byte major = r.U8();
        r.U8();
        int headerLength = major == 1 ? r.U16() : major is 2 or 3 ? (int)Math.Min(r.U32(), int.MaxValue) : throw new StateFormatException($".npy format version {major} is not supported.");
        string header = Encoding.ASCII.GetString(r.Bytes(headerLength));
        if (!header.Contains("'descr': '<f4'", StringComparison.Ordinal) || !header.Contains("'fortran_order': False", StringComparison.Ordinal))
            throw new StateFormatException($".npy header '{header.Trim()}' is not float32 little-endian C-order; convert with numpy astype('<f4').");
        int open = header.IndexOf("'shape': (", StringComparison.Ordinal);
        int close = open < 0 ? -1 : header.IndexOf(')', open);
        if (close < 0)
            throw new StateFormatException(".npy header has no shape.");
        string inner = header[(open + 10)..close];
        int[] shape = inner.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : throw new StateFormatException($".npy shape '{inner}' is malformed."))
            .ToArray();
        long count = 1;
        foreach (int d in shape) count *= d;
        if (count * 4 != r.Remaining)
            throw new StateFormatException($".npy shape ({inner}) needs {count * 4} data bytes, file has {r.Remaining}.");
        float[] data = MemoryMarshal.Cast<byte, float>(r.Bytes(r.Remaining)).ToArray();
        return (data, shape);
    }
}
