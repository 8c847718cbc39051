using EdgeCL.Device.Config;
using EdgeCL.Device.Sources;

namespace EdgeCL.Device.Tests.Sources;

public sealed class CameraSourceTests : IDisposable
{
    private readonly SourceTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    /// <summary>A camera that delivers <c>framesPerOpening</c> grey frames numbered from 1, then "is unplugged".</summary>
    private sealed class FakeCapture(int framesPerOpening) : ICameraCapture
    {
        private int _left;
        private byte _next;

        public List<(int Width, int Height)> Opened { get; } = [];

        public bool Disposed { get; private set; }

        public int Open(int width, int height)
        {
            Opened.Add((width, height));
            _left = framesPerOpening;
            return 1;
        }

        public ValueTask<bool> CaptureAsync(Memory<byte> frame, CancellationToken cancellationToken)
        {
            if (_left-- <= 0)
                return ValueTask.FromResult(false);
            frame.Span.Fill(++_next);
            return ValueTask.FromResult(true);
        }

        public void Dispose() => Disposed = true;
    }

    [Fact]
    public async Task RunAsync_FakeCapture_OffersEveryNthFrameAndReopensWhenItGoesAway()
    {
        var capture = new FakeCapture(framesPerOpening: 4);
        var settings = new SourceSettings { Type = "camera", Width = 2, Height = 2, EveryNthFrame = 2, Label = "mug" };
        await using (var source = new CameraSource(settings, _kit.Context, capture, outputChannels: 3))
        {
            Task run = _kit.Start(source);
            var values = new List<byte>();
            for (int i = 0; i < 3; i++)
            {
                InputSample sample = await _kit.NextAsync();
                Assert.Equal("mug", sample.Label);
                Assert.Equal((2, 2, 3), (sample.Image!.Width, sample.Image.Height, sample.Image.Channels));
                values.Add(sample.Image.Pixels[0]);
            }
            Assert.Equal([1, 3, 5], values); // frames 1 and 3 from the first opening, frame 5 after the reopen
            Assert.Equal([(2, 2), (2, 2)], capture.Opened);
            await _kit.Stop.CancelAsync();
            await run.WaitAsync(SourceTestKit.Timeout);
        }
        Assert.True(capture.Disposed);
    }

    [Fact]
    public async Task RunAsync_DefaultCaptureWithoutCamera_LogsOneLineAndKeepsRetrying()
    {
        var settings = new SourceSettings { Type = "camera", Path = "/dev/video63", Width = 28, Height = 28 };
        await using var source = new CameraSource(settings, _kit.Context, CameraSource.CreateDefaultCapture(settings, 1), outputChannels: 1);
        Task run = _kit.Start(source);
        await Task.Delay(2300); // three attempts, one second apart
        Assert.False(run.IsCompleted);
        string line = Assert.Single(_kit.Logs.Lines);
        Assert.Contains("camera:/dev/video63: the camera is not available (no camera at /dev/video63: the device node does not exist; connect a camera", line, StringComparison.Ordinal);
        await _kit.Stop.CancelAsync();
        await run.WaitAsync(SourceTestKit.Timeout);
    }

    [Theory]
    [InlineData(null, "/dev/video0")]
    [InlineData("2", "/dev/video2")]
    [InlineData("/dev/video1", "/dev/video1")]
    [InlineData("/dev/v4l/by-id/usb-cam-video-index0", "/dev/v4l/by-id/usb-cam-video-index0")]
    public void CreateDefaultCapture_PathOrNumber_IsTheV4l2CaptureOfThatNode(string? path, string node)
    {
        var settings = new SourceSettings { Type = "camera", Path = path, Width = 28, Height = 28 };
        using ICameraCapture capture = CameraSource.CreateDefaultCapture(settings, 1);
        Assert.Equal(node, Assert.IsType<EdgeCL.Device.Sources.Camera.V4l2.V4l2Capture>(capture).DevicePath);
    }
}
