using System.Buffers.Binary;

namespace EdgeCL.Storage.State;

/// <summary>float32 vectors as little-endian blobs, independent of the machine's byte order.</summary>
internal static class FloatBlob
{
    public static byte[] ToBytes(ReadOnlySpan<float> values)
    {
        byte[] bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        return bytes;
    }

    /// <summary>Reads a blob of exactly <paramref name="dimension"/> finite floats, or returns null.</summary>
    public static float[]? TryRead(byte[] bytes, int dimension)
    {
        if (bytes.Length != 4 * dimension)
            return null;
        float[] values = new float[dimension];
        for (int i = 0; i < dimension; i++)
        {
            float x = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i));
            if (!float.IsFinite(x))
                return null;
            values[i] = x;
        }
        return values;
    }
}
