using EdgeCL.Device.Config;
using EdgeCL.Device.Sources;
using EdgeCL.Device.Sources.Camera;
using EdgeCL.Device.Sources.Camera.V4l2;
using EdgeCL.Device.Tests.Agent;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Images;
using EdgeCL.Onnx.Sessions;

namespace EdgeCL.Device.Tests.Sources.Camera;

/// <summary>Real frame bytes (YUYV, MJPEG without Huffman tables, grey, RGB, BGR) through the conversion and the digits backbone.</summary>
public sealed class CameraFrameTests : IDisposable
{
    private static readonly string s_frames = Path.Combine(AgentTestData.RepoRoot, "tests", "EdgeCL.Device.Tests", "Sources", "Camera", "frames");
    private static readonly string s_samples = Path.Combine(AgentTestData.Models, "digits", "samples");

    private readonly SourceTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    /// <summary>A JPEG file as a USB camera sends it: the same image with its DHT segments left out.</summary>
    internal static byte[] AsUvcFrame(byte[] jpeg)
    {
        var frame = new List<byte>(jpeg[..2]);
        int at = 2;
        while (jpeg[at + 1] != 0xDA)
        {
            int length = 2 + (jpeg[at + 2] << 8 | jpeg[at + 3]);
            if (jpeg[at + 1] != 0xC4)
                frame.AddRange(jpeg[at..(at + length)]);
            at += length;
        }
        Assert.Contains((byte)0xC4, jpeg[..at]); // the fixture had tables, so something was taken out
        frame.AddRange(jpeg[at..]);
        return [.. frame];
    }

    [Theory]
    [InlineData("7_0000.jpg")]
    [InlineData("colour-32x16.jpg")]
    public void Mjpeg_FrameWithoutTables_DecodesToTheSamePixelsAsTheFile(string file)
    {
        byte[] jpeg = File.ReadAllBytes(Path.Combine(s_frames, file));
        byte[] uvc = AsUvcFrame(jpeg);
        Assert.NotEqual(ImageDecoder.Decode(jpeg, 3, file).Pixels, ImageDecoder.Decode(uvc, 3, file).Pixels); // stb without tables: garbage
        var output = new byte[jpeg.Length + Mjpeg.MaxAddedBytes];
        int length = Mjpeg.CopyWithHuffmanTables(uvc, output);
        Assert.Equal(uvc.Length + 420, length);
        Assert.Equal(ImageDecoder.Decode(jpeg, 3, file).Pixels, ImageDecoder.Decode(output[..length], 3, file).Pixels);
        Assert.Equal(jpeg.Length, Mjpeg.CopyWithHuffmanTables(jpeg, output)); // tables present: copied as is
        Assert.Equal(jpeg, output[..jpeg.Length]);
        Assert.Throws<InputFormatException>(() => Mjpeg.CopyWithHuffmanTables(uvc.AsSpan(0, 40), output));
        Assert.Throws<InputFormatException>(() => Mjpeg.CopyWithHuffmanTables(new byte[64], output));
    }

    [Fact]
    public void Yuyv_Convert_GreyIsTheYPlaneAndRgbFollowsBt601()
    {
        byte[] yuyv = [16, 128, 235, 128, 81, 90, 81, 240]; // black, white, then a pure red pair (BT.601 studio swing)
        var grey = new byte[4];
        Yuyv.Convert(yuyv, grey, 1);
        Assert.Equal([16, 235, 81, 81], grey);
        var rgb = new byte[12];
        Yuyv.Convert(yuyv, rgb, 3);
        Assert.Equal([0, 0, 0, 255, 255, 255], rgb[..6]);
        Assert.InRange(rgb[6], 250, 255);
        Assert.InRange(rgb[7], 0, 3);
        Assert.InRange(rgb[8], 0, 3);
        Assert.Throws<ArgumentException>(() => Yuyv.Convert(yuyv.AsSpan(0, 6), new byte[3], 1));
    }

    [Fact]
    public void Converter_GreyRgbBgrWithPaddedRows_ToGreyAndRgb()
    {
        byte[] rgbRow = [200, 100, 50, 10, 20, 30]; // two pixels
        byte[] padded = [.. rgbRow, 0xEE, 0xEE, .. rgbRow]; // 2 × 2, rows 8 bytes apart
        var rgb = new byte[12];
        new FrameConverter(FrameConverter.Rgb24, 2, 2, 8, padded.Length, 3, "cam").Convert(padded, rgb);
        Assert.Equal([.. rgbRow, .. rgbRow], rgb);
        var grey = new byte[4];
        new FrameConverter(FrameConverter.Rgb24, 2, 2, 8, padded.Length, 1, "cam").Convert(padded, grey);
        byte luma0 = ImageDecoder.ConvertChannels(new DecodedImage(2, 1, 3, rgbRow), 1).Pixels[0];
        Assert.Equal(luma0, grey[0]);
        var fromBgr = new byte[12];
        new FrameConverter(FrameConverter.Bgr24, 2, 2, 8, padded.Length, 3, "cam").Convert(padded, fromBgr);
        Assert.Equal([50, 100, 200, 30, 20, 10], fromBgr[..6]);
        var greyToRgb = new byte[12];
        new FrameConverter(FrameConverter.Grey, 2, 2, 3, 6, 3, "cam").Convert([7, 9, 0xEE, 11, 13, 0xEE], greyToRgb);
        Assert.Equal([7, 7, 7, 9, 9, 9, 11, 11, 11, 13, 13, 13], greyToRgb);
    }

    [Fact]
    public async Task CameraSource_YuyvDigitsThroughTheV4l2Capture_EmbedLikeTheFilesAcrossAnUnplug()
    {
        string[] files = [Path.Combine(s_samples, "7_0000.pgm"), Path.Combine(s_samples, "9_0000.pgm")];
        DecodedImage[] images = [.. files.Select(f => ImageDecoder.DecodeFile(f, 1))];
        using var camera = new SimulatedV4l2Camera { Formats = new() { ["YUYV"] = [(640, 480), (28, 28)] }, RowPadding = 8 };
        camera.Deliver(V4l2CaptureTests.Yuyv(images[0].Pixels, 28, padding: 8), SimulatedV4l2Camera.Unplug, V4l2CaptureTests.Yuyv(images[1].Pixels, 28, padding: 8));
        await AssertEmbedsLikeFilesAsync(camera, files, images);
        Assert.Equal(2, camera.Opens);
        Assert.Contains(_kit.Logs.Lines, l => l.Contains("went away mid-stream (ENODEV", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CameraSource_MjpegDigitWithoutTablesThroughTheV4l2Capture_EmbedsLikeTheJpegFile()
    {
        string file = Path.Combine(s_frames, "7_0000.jpg");
        using var camera = new SimulatedV4l2Camera { Formats = new() { ["MJPG"] = [(28, 28)] } };
        camera.Deliver(AsUvcFrame(File.ReadAllBytes(file)));
        await AssertEmbedsLikeFilesAsync(camera, [file], [ImageDecoder.DecodeFile(file, 1)]);
    }

    [Fact]
    public async Task CameraSource_MjpegOfAnotherSize_OneLineAndTheSourceKeepsRunning()
    {
        using var camera = new SimulatedV4l2Camera { Formats = new() { ["MJPG"] = [(28, 28)] } };
        camera.Deliver(AsUvcFrame(File.ReadAllBytes(Path.Combine(s_frames, "colour-32x16.jpg"))));
        var settings = new SourceSettings { Type = "camera", Width = 28, Height = 28 };
        await using var source = new CameraSource(settings, _kit.Context, new V4l2Capture("/dev/video0", 1, camera), outputChannels: 1);
        Task run = _kit.Start(source);
        await Task.Delay(700);
        Assert.False(run.IsCompleted);
        string line = Assert.Single(_kit.Logs.Lines);
        Assert.Contains("/dev/video0 delivered a 32 × 16 MJPG frame, not the configured 28 × 28", line, StringComparison.Ordinal);
        Assert.False(_kit.Output.Reader.TryRead(out _));
        await _kit.Stop.CancelAsync();
        await run.WaitAsync(SourceTestKit.Timeout);
    }

    /// <summary>Runs a camera source over the simulated camera and checks each frame's pixels and embedding against its file.</summary>
    private async Task AssertEmbedsLikeFilesAsync(SimulatedV4l2Camera camera, string[] files, DecodedImage[] images)
    {
        var settings = new SourceSettings { Type = "camera", Width = 28, Height = 28, Label = "seven" };
        using IEmbeddingBackbone backbone = BackboneCatalog.Open("digits", SessionOptionsSpec.Default, null, AgentTestData.Models);
        await using var source = new CameraSource(settings, _kit.Context, new V4l2Capture("/dev/video0", 1, camera), outputChannels: 1);
        Task run = _kit.Start(source);
        var fromCamera = new float[backbone.Space.Dimension];
        var fromFile = new float[backbone.Space.Dimension];
        for (int i = 0; i < files.Length; i++)
        {
            InputSample sample = await _kit.NextAsync();
            Assert.Equal(images[i].Pixels, sample.Image!.Pixels);
            ((ImageBackbone)backbone).EmbedImage(sample.Image, fromCamera);
            backbone.EmbedFile(files[i], fromFile);
            Assert.Equal(fromFile, fromCamera);
        }
        await _kit.Stop.CancelAsync();
        await run.WaitAsync(SourceTestKit.Timeout);
    }
}
