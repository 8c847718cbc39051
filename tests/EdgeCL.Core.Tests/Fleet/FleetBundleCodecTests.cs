using System.Runtime.InteropServices;
using EdgeCL.Core.Fleet;

namespace EdgeCL.Core.Tests.Fleet;

public sealed class FleetBundleCodecTests
{
    private static byte[] Message(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public void Encode_ThenDecode_GivesTheSameMessagesInOrder()
    {
        byte[][] messages = [Message(1, 1), Message(127, 2), Message(128, 3), Message(5000, 4)];
        byte[] bundle = FleetBundleCodec.Encode(messages);
        Assert.True(FleetBundleCodec.TryDecode(bundle, out byte[][]? decoded, out FleetDecodeError error), error.ToString());
        Assert.Equal(messages, decoded);
        Assert.True(FleetBundleCodec.TryDecode(FleetBundleCodec.Encode([]), out byte[][]? none, out int one, out _));
        Assert.Empty(none);
        Assert.Equal(1, one);
        Assert.Throws<ArgumentOutOfRangeException>(() => FleetBundleCodec.Encode([], parts: 0));
    }

    [Fact]
    public void Slices_AreTheCopiesBytes_InsideTheBundle_AndRefuseWhatTheCopiesRefuse()
    {
        byte[][] messages = [Message(1, 1), Message(127, 2), Message(128, 3), Message(5000, 4)];
        byte[] bundle = FleetBundleCodec.Encode(messages, parts: 3);
        Assert.True(FleetBundleCodec.TryDecode(bundle, out ReadOnlyMemory<byte>[]? slices, out int parts, out _));
        Assert.Equal(3, parts);
        Assert.Equal(messages, slices.Select(m => m.ToArray()));
        Assert.All(slices, m => Assert.True(MemoryMarshal.TryGetArray(m, out ArraySegment<byte> s) && ReferenceEquals(s.Array, bundle)));
        for (int length = 0; length < bundle.Length; length++)
        {
            bool copies = FleetBundleCodec.TryDecode(bundle.AsSpan(0, length), out _, out _, out FleetDecodeError copyError);
            Assert.False(FleetBundleCodec.TryDecode(bundle[..length], out ReadOnlyMemory<byte>[]? cut, out _, out FleetDecodeError sliceError));
            Assert.False(copies);
            Assert.Null(cut);
            Assert.Equal(copyError, sliceError);
        }
    }

    [Fact]
    public void Pack_SplitsUnderTheLimit_KeepsOrder_AndLosesNothing()
    {
        byte[][] messages = [.. Enumerable.Range(0, 500).Select(i => Message(700 + i % 50, i))];
        IReadOnlyList<byte[]> bundles = FleetBundleCodec.Pack(messages);
        Assert.True(bundles.Count >= 2, $"{bundles.Count} bundles for ~360 KB");
        Assert.All(bundles, b => Assert.InRange(b.Length, 1, FleetBundleCodec.MaxPayloadBytes));
        var joined = new List<byte[]>();
        foreach (byte[] bundle in bundles)
        {
            Assert.True(FleetBundleCodec.TryDecode(bundle, out byte[][]? part, out int parts, out _));
            Assert.Equal(bundles.Count, parts); // each part says how many make its set
            joined.AddRange(part);
        }
        Assert.Equal(messages, joined);
        Assert.Empty(FleetBundleCodec.Pack([]));
    }

    [Fact]
    public void Pack_AndEncode_RefuseAnEmptyOrOversizedMessage()
    {
        Assert.Throws<ArgumentException>(() => FleetBundleCodec.Pack([[]]));
        Assert.Throws<ArgumentException>(() => FleetBundleCodec.Pack([new byte[FleetBundleCodec.MaxPayloadBytes]]));
        Assert.Throws<ArgumentException>(() => FleetBundleCodec.Encode([Message(10, 1), []]));
        Assert.Throws<ArgumentException>(() => FleetBundleCodec.Encode([.. Enumerable.Range(0, 3).Select(i => Message(FleetBundleCodec.MaxPayloadBytes / 2, i))]));
    }

    [Fact]
    public void TryDecode_RejectsEveryTruncationAndTrailingByte_WithoutThrowing()
    {
        byte[] bundle = FleetBundleCodec.Encode([Message(3, 1), Message(200, 2)]);
        for (int length = 0; length < bundle.Length; length++)
            Assert.False(FleetBundleCodec.TryDecode(bundle.AsSpan(0, length), out _, out _), $"a bundle cut to {length} bytes");
        Assert.False(FleetBundleCodec.TryDecode([.. bundle, 0], out _, out FleetDecodeError trailing));
        Assert.Equal(FleetDecodeError.TrailingBytes, trailing);
    }

    [Theory]
    [InlineData(new byte[] { (byte)'E', (byte)'A', 1, 0, 1, 0 }, FleetDecodeError.BadMagic)]
    [InlineData(new byte[] { (byte)'E', (byte)'G', 2, 0, 1, 0 }, FleetDecodeError.UnsupportedFormatVersion)]
    [InlineData(new byte[] { (byte)'E', (byte)'G', 0x81, 0, 1, 0 }, FleetDecodeError.UnsupportedFormatVersion)]
    [InlineData(new byte[] { (byte)'E', (byte)'G', 1, 7, 1, 0 }, FleetDecodeError.UnsupportedFormatVersion)]
    [InlineData(new byte[] { (byte)'E', (byte)'G', 1, 0, 0, 0 }, FleetDecodeError.BadInteger)] // a set of no parts
    [InlineData(new byte[] { (byte)'E', (byte)'G', 1, 0, 0x91, 0x4E, 0 }, FleetDecodeError.BadInteger)] // 10,001 parts
    [InlineData(new byte[] { (byte)'E', (byte)'G', 1, 0, 1, 1, 0 }, FleetDecodeError.Truncated)] // one message announced, two bytes needed
    [InlineData(new byte[] { (byte)'E', (byte)'G', 1, 0, 1, 1, 0, 9 }, FleetDecodeError.BadInteger)] // a zero-length message
    [InlineData(new byte[] { (byte)'E', (byte)'G', 1, 0, 0x80, 0 }, FleetDecodeError.BadInteger)] // an over-long varint
    [InlineData(new byte[] { (byte)'E', (byte)'G', 1, 0, 1, 0xFF, 0xFF, 0xFF, 0x7F }, FleetDecodeError.Truncated)] // a huge count, nothing allocated
    public void TryDecode_NamesWhatIsWrong(byte[] payload, FleetDecodeError expected)
    {
        Assert.False(FleetBundleCodec.TryDecode(payload, out byte[][]? messages, out FleetDecodeError error));
        Assert.Null(messages);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void TryDecode_RefusesMoreThanTheLimit()
    {
        Assert.False(FleetBundleCodec.TryDecode(new byte[FleetBundleCodec.MaxPayloadBytes + 1], out _, out FleetDecodeError error));
        Assert.Equal(FleetDecodeError.TooLarge, error);
    }
}
