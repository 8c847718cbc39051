using System.Diagnostics;
using EdgeCL.Device.Config;
using EdgeCL.Device.Sources;

namespace EdgeCL.Device.Tests.Sources;

public sealed class RawFrameSourceTests : IDisposable
{
    private const int Width = 4, Height = 3;
    private readonly SourceTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    private string MakeFifo()
    {
        string path = _kit.PathOf("frames.fifo");
        using Process mkfifo = Process.Start("mkfifo", path);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
        return path;
    }

    private static byte[] Frame(int bytesPerPixel, Func<int, byte> value)
    {
        var frame = new byte[Width * Height * bytesPerPixel];
        for (int i = 0; i < frame.Length; i++)
            frame[i] = value(i);
        return frame;
    }

    private static async Task WriteSessionAsync(string fifo, IEnumerable<byte[]> chunks)
    {
        // Opening for writing blocks until the source has the FIFO open for reading, as with ffmpeg.
        await using var writer = new FileStream(fifo, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1);
        foreach (byte[] chunk in chunks)
            await writer.WriteAsync(chunk);
    }

    [Fact]
    public async Task RunAsync_FifoWriterClosesAndReopens_ReadsBothSessionsAndDropsPartialFrame()
    {
        string fifo = MakeFifo();
        var source = new RawFrameSource(new SourceSettings { Type = "raw-frames", Path = "frames.fifo", Width = Width, Height = Height, PixelFormat = "gray8", Reopen = true }, _kit.Context);
        Task run = _kit.Start(source);

        await WriteSessionAsync(fifo, Enumerable.Range(1, 5).Select(n => Frame(1, _ => (byte)n))).WaitAsync(SourceTestKit.Timeout);
        for (int n = 1; n <= 5; n++)
        {
            InputSample sample = await _kit.NextAsync();
            Assert.Equal($"frame {n}", sample.Origin);
            Assert.Equal((Width, Height, 1), (sample.Image!.Width, sample.Image.Height, sample.Image.Channels));
            Assert.All(sample.Image.Pixels, p => Assert.Equal(n, p));
        }

        // The writer comes back (ffmpeg restarted): two frames and half a frame.
        await WriteSessionAsync(fifo, [Frame(1, _ => 6), Frame(1, _ => 7), new byte[Width * Height / 2]]).WaitAsync(SourceTestKit.Timeout);
        Assert.Equal("frame 6", (await _kit.NextAsync()).Origin);
        InputSample last = await _kit.NextAsync();
        Assert.Equal("frame 7", last.Origin);
        Assert.All(last.Image!.Pixels, p => Assert.Equal(7, p));
        await _kit.AssertQuietAsync(200);
        Assert.Single(_kit.Logs.Lines, l => l.Contains($"the stream ended inside a frame ({Width * Height / 2} of {Width * Height} bytes); the partial frame is discarded", StringComparison.Ordinal));
        Assert.Equal(2, _kit.Logs.Lines.Count(l => l.Contains("reopening", StringComparison.Ordinal)));

        await _kit.Stop.CancelAsync(); // the source is waiting in open() for a third writer
        await run.WaitAsync(SourceTestKit.Timeout);
    }

    [Fact]
    public async Task RunAsync_Bgr24EveryOtherFrame_SwapsToRgbAndEndsWithoutReopen()
    {
        string fifo = MakeFifo();
        var settings = new SourceSettings { Type = "raw-frames", Path = fifo, Width = Width, Height = Height, PixelFormat = "bgr24", EveryNthFrame = 2, Reopen = false, Label = "cup" };
        var source = new RawFrameSource(settings, _kit.Context, outputChannels: 3);
        Task run = _kit.Start(source);
        // B=10, G=20, R=30 in every pixel.
        await WriteSessionAsync(fifo, Enumerable.Range(0, 4).Select(_ => Frame(3, i => (byte)(10 * (i % 3 + 1))))).WaitAsync(SourceTestKit.Timeout);
        await run.WaitAsync(SourceTestKit.Timeout); // no reopen: the source ends with the writer

        InputSample first = await _kit.NextAsync();
        InputSample third = await _kit.NextAsync();
        Assert.Equal(("frame 1", "frame 3"), (first.Origin, third.Origin));
        Assert.Equal("cup", first.Label);
        Assert.Equal(3, first.Image!.Channels);
        Assert.Equal([30, 20, 10], first.Image.Pixels[..3]); // RGB now
        Assert.NotSame(first.Image.Pixels, third.Image!.Pixels); // each sample owns its pixels
        Assert.False(_kit.Output.Reader.TryRead(out _));
    }

    [Fact]
    public async Task RunAsync_RegularFileToGrey_EndsAtEofEvenWithReopen()
    {
        string path = _kit.PathOf("frames.rgb");
        File.WriteAllBytes(path, [.. Frame(3, i => i % 3 == 0 ? (byte)255 : (byte)0), .. Frame(3, _ => 0)]);
        var source = new RawFrameSource(new SourceSettings { Type = "raw-frames", Path = path, Width = Width, Height = Height, PixelFormat = "rgb24", Reopen = true }, _kit.Context, outputChannels: 1);
        await source.RunAsync(_kit.Output.Writer, CancellationToken.None).WaitAsync(SourceTestKit.Timeout);
        InputSample red = await _kit.NextAsync();
        Assert.Equal(1, red.Image!.Channels);
        Assert.All(red.Image.Pixels, p => Assert.Equal(76, p)); // BT.601: round(0.299 × 255)
        Assert.Equal("frame 2", (await _kit.NextAsync()).Origin);
        Assert.False(_kit.Output.Reader.TryRead(out _));
    }

    [Theory]
    [InlineData("yuv420p", 4, 3, 1, "pixel_format 'yuv420p' is not supported")]
    [InlineData("gray8", 0, 3, 1, "width × height is 0 × 3")]
    [InlineData("gray8", 4, 3, 0, "every_nth_frame is 0")]
    public void Constructor_BadSettings_ThrowsOneLine(string format, int width, int height, int everyNth, string expected)
    {
        var settings = new SourceSettings { Type = "raw-frames", Path = "-", Width = width, Height = height, PixelFormat = format, EveryNthFrame = everyNth };
        SourceException ex = Assert.Throws<SourceException>(() => new RawFrameSource(settings, _kit.Context));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }
}
