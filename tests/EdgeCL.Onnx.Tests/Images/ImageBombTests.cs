using System.Buffers.Binary;
using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Images;

namespace EdgeCL.Onnx.Tests.Images;

/// <summary>Decompression and size bombs: tiny files whose headers claim a huge image are refused from the header,
/// with one line, before any pixel buffer is allocated.</summary>
public class ImageBombTests
{
    public static TheoryData<string, byte[]> HugeHeaders() => new()
    {
        { "png", Png(20000, 20000, IdatOfZeros()) },
        { "jpeg", Jpeg(20000, 20000) },
        { "bmp", Bmp(20000, 20000) },
        { "gif", Gif(20000, 20000) },
        { "pgm", "P5 20000 20000 255\n"u8.ToArray() },
        { "ppm ascii", "P3 5000 5000 255\n0 0 0\n"u8.ToArray() },
    };

    [Theory]
    [MemberData(nameof(HugeHeaders))]
    public void Decode_HeaderClaimsTooManyPixels_RefusedBeforeDecoding(string format, byte[] file)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<InputFormatException>(() => ImageDecoder.Decode(file, 3, format));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("megapixels", ex.Message);
        Assert.Contains("scale it down", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
        // A 20000×20000 RGB buffer is 1.2 GB; refusing from the header allocates next to nothing.
        Assert.True(allocated < 4 << 20, $"{format}: {allocated} bytes allocated before refusing");
    }

    [Fact]
    public void Decode_AtTheLimit_StillDecodes()
    {
        byte[] pgm = ImageDecoderTests.Pgm(4096, 4096, (x, y) => (byte)(x ^ y));
        Assert.Equal(4096 * 4096, ImageDecoder.Decode(pgm, 1, "4096").Pixels.Length);
        Assert.Equal(16L << 20, ImageDecoder.MaxPixels);
    }

    [Fact]
    public void DecodeFile_OverTheFileSizeLimit_RefusedWithoutReading()
    {
        string path = Path.Combine(Path.GetTempPath(), $"edgecl-big-{Guid.NewGuid():N}.png");
        try
        {
            using (var f = new FileStream(path, FileMode.CreateNew))
                f.SetLength(ImageDecoder.MaxFileBytes + 1); // sparse: no disk used
            var ex = Assert.Throws<InputFormatException>(() => ImageDecoder.DecodeFile(path, 1));
            Assert.Contains("over the 64 MiB limit", ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Decode_PngWithAnUnknownCriticalChunk_MessageHasNoRawBytes()
    {
        // stb names an unknown critical chunk by its four raw type bytes; here they are control and high bytes.
        byte[] png = Png(2, 2, IdatOfZeros(), extraChunk: [0x01, 0xC3, 0x28, 0x07]);
        var ex = Assert.Throws<InputFormatException>(() => ImageDecoder.Decode(png, 1, "odd.png"));
        Assert.All(ex.Message, c => Assert.InRange(c, ' ', '~'));
        Assert.Contains("odd.png", ex.Message);
    }

    private static byte[] Chunk(ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        type.CopyTo(chunk.AsSpan(4));
        data.CopyTo(chunk.AsSpan(8));
        return chunk; // CRC left zero: stb does not check it
    }

    private static byte[] IdatOfZeros() => [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01];

    private static byte[] Png(int width, int height, byte[] idat, byte[]? extraChunk = null)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // RGB
        byte[] signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        return [.. signature, .. Chunk("IHDR"u8, ihdr), .. (extraChunk is null ? [] : Chunk(extraChunk, [1, 2, 3])), .. Chunk("IDAT"u8, idat), .. Chunk("IEND"u8, [])];
    }

    private static byte[] Jpeg(int width, int height)
    {
        // SOI, then a baseline SOF0 frame header: precision 8, height, width, 3 components (id, sampling 1x1, table 0).
        byte[] sof = [0xFF, 0xC0, 0x00, 0x11, 8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0];
        return [0xFF, 0xD8, .. sof, 0xFF, 0xD9];
    }

    private static byte[] Bmp(int width, int height)
    {
        var bmp = new byte[54];
        "BM"u8.CopyTo(bmp);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(2), bmp.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(28), 24);
        return bmp;
    }

    private static byte[] Gif(int width, int height)
    {
        var gif = new byte[13];
        "GIF89a"u8.CopyTo(gif);
        BinaryPrimitives.WriteUInt16LittleEndian(gif.AsSpan(6), (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(gif.AsSpan(8), (ushort)height);
        return [.. gif, 0x3B];
    }
}
