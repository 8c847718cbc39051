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
    public void Constructor_NoCapture_ThrowsOneLineThatSaysHowToPlugOneIn()
    {
        var settings = new SourceSettings { Type = "camera", Width = 224, Height = 224 };
        SourceException ex = Assert.Throws<SourceException>(() => new CameraSource(settings, _kit.Context, CameraSource.CreateDefaultCapture(settings, 1)));
        Assert.Equal(CameraSource.NotAvailableMessage, ex.Message);
        Assert.Contains("Iot.Device.Bindings", ex.Message, StringComparison.Ordinal);
        Assert.Contains("-p:EdgeClCamera=true", ex.Message, StringComparison.Ordinal);
        Assert.Contains("raw-frames", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }
}
