using CsCheck;
using EdgeCL.Core.Errors;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Serialization;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Tests.Serialization;

public class PrototypeMemorySerializerTests
{
    private static readonly EmbeddingSpace Space = new("feedface01234567", 6);

    private static PrototypeMemory Sample()
    {
        var rng = new Random(9);
        var memory = new PrototypeMemory(Space);
        foreach (string l in new[] { "yes", "no", "ünïcødé", "stop" })
            for (int i = 0; i < 3; i++)
                memory.Add(l, TestVectors.Random(rng, 6));
        memory.Forget("no");
        return memory;
    }

    [Fact]
    public void RoundTrip_Memory_IsExact()
    {
        PrototypeMemory m = Sample();
        byte[] bytes = PrototypeMemorySerializer.Serialize(m);
        PrototypeMemory back = PrototypeMemorySerializer.Deserialize(bytes, Space);
        Assert.Equal(bytes, PrototypeMemorySerializer.Serialize(back));
        Assert.Equal(m.ClassCount, back.ClassCount);
        Assert.Equal(m.Tombstones, back.Tombstones);
        Assert.Equal(m.Centre.ToArray(), back.Centre.ToArray(), new EdgeCL.Core.Tests.Memory.FloatComparer(1e-6f));
        float[] q = [1, 2, 3, 4, 5, 6];
        Assert.Equal(m.Predict(q), back.Predict(q));
    }

    [Fact]
    public void Deserialize_OtherSpace_RefusesWithClearMessage()
    {
        byte[] bytes = PrototypeMemorySerializer.Serialize(Sample());
        var ex = Assert.Throws<EmbeddingException>(() => PrototypeMemorySerializer.Deserialize(bytes, new EmbeddingSpace("0000000000000000", 6)));
        Assert.Contains("cannot be mixed", ex.Message);
    }

    [Fact]
    public void Deserialize_EveryTruncation_ThrowsFormatError()
    {
        byte[] bytes = PrototypeMemorySerializer.Serialize(Sample());
        for (int n = 0; n < bytes.Length; n++)
            Assert.Throws<StateFormatException>(() => PrototypeMemorySerializer.Deserialize(bytes.AsSpan(0, n)));
    }

    [Fact]
    public void Deserialize_RandomCorruption_OnlyFormatErrors()
    {
        byte[] valid = PrototypeMemorySerializer.Serialize(Sample());
        Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Byte).Array[1, 8].Sample(flips =>
        {
            byte[] b = (byte[])valid.Clone();
            foreach (var (pos, value) in flips) b[pos] ^= (byte)(value | 1);
            if (b.AsSpan().SequenceEqual(valid))
                return true; // two flips of one byte cancelled out: nothing was corrupted
            try
            {
                PrototypeMemorySerializer.Deserialize(b);
                return false; // CRC must catch every corruption of this size
            }
            catch (StateFormatException)
            {
                return true;
            }
        }, iter: 2000);
    }

    [Fact]
    public void Deserialize_ForgedHugeCounts_RejectedBeforeAllocation()
    {
        // A forged header with a valid CRC claiming a million classes of dimension 65536.
        using var ms = new MemoryStream();
        using var w = new BinaryWriter(ms);
        w.Write("ECLS"u8);
        w.Write((ushort)1);
        w.Write((ushort)0);
        w.Write((byte)2);
        w.Write("ab"u8);
        w.Write(65536);
        w.Write((byte)0);
        w.Write((byte)1);
        w.Write(0.1f);
        w.Write(1_000_000);
        w.Write(0);
        w.Flush();
        byte[] body = ms.ToArray();
        byte[] full = [.. body, .. BitConverter.GetBytes(Crc32.Compute(body))];
        var ex = Assert.Throws<StateFormatException>(() => PrototypeMemorySerializer.Deserialize(full));
        Assert.Contains("truncated", ex.Message);
    }
}
