using System.Buffers.Binary;
using EdgeCL.Core.Serialization;

namespace EdgeCL.Fuzz.Targets;

/// <summary>Makes a mutated blob's trailing CRC-32 right again, so the fuzzer explores the content checks behind it.</summary>
/// <remarks>A wrong CRC is one comparison (and every raw input still goes through it first); without the fix-up nearly
/// every mutation would stop there.</remarks>
internal static class Crc
{
    public static byte[]? Fixed(byte[] input)
    {
        if (input.Length < 8)
            return null;
        byte[] copy = (byte[])input.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(copy.Length - 4), Crc32.Compute(copy.AsSpan(0, copy.Length - 4)));
        return copy;
    }
}
