using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace EdgeCL.Benchmarks;

/// <summary>Reads the 2-D little-endian float32 C-order .npy files that ops/measure/peers.py writes (numpy format 1.0–3.0).</summary>
internal static class Npy
{
    /// <summary>Loads a rows × columns float32 matrix as one row-major array.</summary>
    /// <exception cref="InvalidDataException">Not a 2-D little-endian float32 C-order array.</exception>
    public static (float[] Data, int Rows, int Columns) ReadMatrix(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || bytes[0] != 0x93 || Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY")
            throw new InvalidDataException($"{path} is not a .npy file.");
        int major = bytes[6];
        int headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)) : (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        int start = major == 1 ? 10 : 12;
        string header = Encoding.ASCII.GetString(bytes, start, headerLength);
        if (!header.Contains("'descr': '<f4'", StringComparison.Ordinal) || !header.Contains("'fortran_order': False", StringComparison.Ordinal))
            throw new InvalidDataException($"{path} must hold little-endian float32 in C order; header: {header.Trim()}");
        int open = header.IndexOf("'shape': (", StringComparison.Ordinal) + 10;
        string[] shape = header[open..header.IndexOf(')', open)].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (shape.Length != 2)
            throw new InvalidDataException($"{path} must be 2-D; shape is ({string.Join(",", shape)}).");
        int rows = int.Parse(shape[0], CultureInfo.InvariantCulture), columns = int.Parse(shape[1], CultureInfo.InvariantCulture);
        int offset = start + headerLength;
        if (bytes.Length - offset != 4L * rows * columns)
            throw new InvalidDataException($"{path}: {bytes.Length - offset} data bytes for shape ({rows}, {columns}).");
        float[] data = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(offset)).ToArray();
        return (data, rows, columns);
    }
}
