using EdgeCL.Device.Config;
using EdgeCL.Device.Sources;
using EdgeCL.Device.Sources.Camera;
using EdgeCL.Device.Tests.Agent;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Images;
using EdgeCL.Onnx.Sessions;
using Iot.Device.Media;

namespace EdgeCL.Device.Tests.Sources;

/// <summary>The V4L2 capture over the binding's own <see cref="VideoDevice"/> abstraction, with a fake device instead of hardware.</summary>
public sealed class VideoDeviceCaptureTests : IDisposable
{
    private readonly SourceTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    /// <summary>A camera that returns the given YUYV frames in turn, then throws as an unplugged V4L2 device does.</summary>
    private sealed class FakeVideoDevice(VideoConnectionSettings settings, IReadOnlyList<byte[]> frames) : VideoDevice
    {
        private int _next;

        public override string DevicePath { get; set; } = "/dev/video0";

        public override VideoConnectionSettings Settings { get; } = settings;

        public override bool IsOpen => true;

        public override bool IsCapturing => false;

        public override bool ImageBufferPoolingEnabled { get; set; }

        public override event NewImageBufferReadyEvent? NewImageBufferReady
        {
            add { }
            remove { }
        }

        public override void Capture(string path) => throw new NotSupportedException();

        public override byte[] Capture() => _next < frames.Count ? frames[_next++] : throw new IOException("Error 19: no such device");

        public override void StartCaptureContinuous() => throw new NotSupportedException();

        public override void CaptureContinuous(CancellationToken token) => throw new NotSupportedException();

        public override void StopCaptureContinuous() => throw new NotSupportedException();

        public override VideoDeviceValue GetVideoDeviceValue(VideoDeviceValueType type) => throw new NotSupportedException();

        public override IEnumerable<VideoPixelFormat> GetSupportedPixelFormats() => [VideoPixelFormat.YUYV];

        public override IEnumerable<Resolution> GetPixelFormatResolutions(VideoPixelFormat format) => [];
    }

    /// <summary>A grey image as a camera sends it: YUYV with Y = the pixel and neutral chroma.</summary>
    private static byte[] GreyYuyv(DecodedImage image)
    {
        var yuyv = new byte[image.Width * image.Height * 2];
        for (int i = 0; i < image.Width * image.Height; i++)
        {
            yuyv[2 * i] = image.Pixels[i];
            yuyv[2 * i + 1] = 128;
        }
        return yuyv;
    }

    [Fact]
    public async Task CameraSource_RealDigitFramesThroughFakeDevice_EmbedLikeTheFilesAndReopenAfterUnplug()
    {
        string samples = Path.Combine(AgentTestData.Models, "digits", "samples");
        string[] files = [Path.Combine(samples, "7_0000.pgm"), Path.Combine(samples, "9_0000.pgm")];
        DecodedImage[] images = [.. files.Select(f => ImageDecoder.DecodeFile(f, 1))];
        int opened = 0;
        var capture = new VideoDeviceCapture(0, 1, s =>
        {
            opened++;
            Assert.Equal((28u, 28u), s.CaptureSize);
            Assert.Equal(VideoPixelFormat.YUYV, s.PixelFormat);
            return new FakeVideoDevice(s, opened == 1 ? [GreyYuyv(images[0])] : [GreyYuyv(images[1])]);
        });
        var settings = new SourceSettings { Type = "camera", Width = 28, Height = 28, Label = "seven" };
        using IEmbeddingBackbone backbone = BackboneCatalog.Open("digits", SessionOptionsSpec.Default, null, AgentTestData.Models);
        await using var source = new CameraSource(settings, _kit.Context, capture, outputChannels: 1);
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
        Assert.Equal(2, opened); // the device "went away" after the first frame and was opened again
        Assert.Contains(_kit.Logs.Lines, l => l.Contains("stopped delivering frames", StringComparison.Ordinal));
        await _kit.Stop.CancelAsync();
        await run.WaitAsync(SourceTestKit.Timeout);
    }

    [Fact]
    public async Task CameraSource_FramesOfAnotherSize_OneLineAndTheSourceKeepsRunning()
    {
        var capture = new VideoDeviceCapture(0, 1, s => new FakeVideoDevice(s, [new byte[640 * 480 * 2], new byte[640 * 480 * 2]]));
        var settings = new SourceSettings { Type = "camera", Width = 28, Height = 28 };
        await using var source = new CameraSource(settings, _kit.Context, capture, outputChannels: 1);
        Task run = _kit.Start(source);
        await Task.Delay(1500);
        Assert.False(run.IsCompleted);
        string line = Assert.Single(_kit.Logs.Lines);
        Assert.Contains("delivered a 614400-byte frame, not 28 × 28 YUYV", line, StringComparison.Ordinal);
        Assert.False(_kit.Output.Reader.TryRead(out _));
        await _kit.Stop.CancelAsync();
        await run.WaitAsync(SourceTestKit.Timeout);
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
}
