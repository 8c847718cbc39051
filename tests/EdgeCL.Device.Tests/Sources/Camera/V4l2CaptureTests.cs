using EdgeCL.Device.Sources.Camera.V4l2;

namespace EdgeCL.Device.Tests.Sources.Camera;

/// <summary>The V4L2 capture's protocol against a simulated camera: negotiation, the buffer ring, and each failure's one line.</summary>
public sealed class V4l2CaptureTests : IDisposable
{
    private readonly SimulatedV4l2Camera _camera = new()
    {
        Formats = new() { ["MJPG"] = [(28, 28)], ["YUYV"] = [(28, 28), (8, 2)] },
    };

    public void Dispose() => _camera.Dispose();

    /// <summary>A YUYV frame whose Y plane is <paramref name="luma"/> (neutral chroma), rows padded as the camera pads them.</summary>
    internal static byte[] Yuyv(ReadOnlySpan<byte> luma, int width, int padding = 0)
    {
        int height = luma.Length / width, stride = 2 * width + padding;
        var frame = new byte[stride * height];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                frame[y * stride + 2 * x] = luma[y * width + x];
                frame[y * stride + 2 * x + 1] = 128;
            }
        }
        return frame;
    }

    private static byte[] Luma(byte value, int pixels) => Enumerable.Repeat(value, pixels).ToArray();

    [Fact]
    public void Open_YuyvAndMjpegOffered_TakesYuyvAndQueuesEveryBufferBeforeStreaming()
    {
        using var capture = new V4l2Capture("/dev/video0", 1, _camera);
        Assert.Equal(1, capture.Open(28, 28));
        Assert.Equal("YUYV", capture.PixelFormat);
        string[] expected =
        [
            "open", "VIDIOC_QUERYCAP", "VIDIOC_ENUM_FMT", "VIDIOC_ENUM_FMT", "VIDIOC_ENUM_FMT", "VIDIOC_S_FMT YUYV", "VIDIOC_REQBUFS 4",
            .. Enumerable.Range(0, 4).SelectMany(i => new[] { $"VIDIOC_QUERYBUF {i}", "mmap", $"VIDIOC_QBUF {i}" }),
            "VIDIOC_STREAMON",
        ];
        Assert.Equal(expected, _camera.Calls);
        Assert.Equal((28u, 28u, 56u), (_camera.Format.Width, _camera.Format.Height, _camera.Format.BytesPerLine));
    }

    [Fact]
    public async Task Capture_TenFramesThroughFourPaddedBuffers_CyclesTheRingAndCloseReleasesIt()
    {
        using var camera = new SimulatedV4l2Camera { Formats = new() { ["YUYV"] = [(8, 2)] }, RowPadding = 16 };
        for (byte i = 1; i <= 10; i++)
            camera.Deliver(Yuyv(Luma((byte)(10 * i), 16), 8, padding: 16));
        var capture = new V4l2Capture("/dev/video0", 3, camera);
        capture.Open(8, 2);
        var frame = new byte[8 * 2 * 3];
        for (int i = 1; i <= 10; i++)
        {
            Assert.True(await capture.CaptureAsync(frame, CancellationToken.None));
            byte expected = (byte)Math.Clamp((298 * (10 * i - 16) + 128) >> 8, 0, 255); // BT.601 grey, neutral chroma
            Assert.All(frame, b => Assert.Equal(expected, b));
        }
        string[] dequeued = [.. camera.Calls.Where(c => c.StartsWith("VIDIOC_DQBUF ", StringComparison.Ordinal))];
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"VIDIOC_DQBUF {i % 4}"), dequeued);
        capture.Dispose();
        Assert.Equal(["VIDIOC_STREAMOFF", "munmap", "munmap", "munmap", "munmap", "close"], camera.Calls.TakeLast(6));
        Assert.False(camera.IsOpen);
        capture.Dispose(); // twice is harmless
    }

    [Theory]
    [InlineData("YUYV", 1)]
    [InlineData("YUYV", 3)]
    [InlineData("GREY", 3)]
    [InlineData("RGB3", 1)]
    public async Task Capture_SteadyState_AllocatesNothingPerFrame(string format, int channels)
    {
        using var camera = new SimulatedV4l2Camera { Formats = new() { [format] = [(64, 48)] }, RowPadding = 4, RecordCalls = false };
        var data = new byte[(64 * (format == "YUYV" ? 2 : format == "GREY" ? 1 : 3) + 4) * 48];
        for (int i = 0; i < 150; i++)
            camera.Frames.Enqueue((data, 0));
        using var capture = new V4l2Capture("/dev/video0", channels, camera);
        capture.Open(64, 48);
        Assert.Equal(format, capture.PixelFormat);
        var frame = new byte[64 * 48 * channels];
        for (int i = 0; i < 50; i++)
            await capture.CaptureAsync(frame, CancellationToken.None); // warm-up: first calls may allocate (JIT tiering)
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
            Assert.True(await capture.CaptureAsync(frame, CancellationToken.None));
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public async Task Capture_CameraUnpluggedMidStream_OneLineNamingEnodevThenReopens()
    {
        _camera.Deliver(Yuyv(Luma(50, 16), 8), SimulatedV4l2Camera.Unplug, Yuyv(Luma(90, 16), 8));
        using var capture = new V4l2Capture("/dev/video0", 1, _camera);
        capture.Open(8, 2);
        var frame = new byte[16];
        Assert.True(await capture.CaptureAsync(frame, CancellationToken.None));
        IOException gone = await Assert.ThrowsAsync<IOException>(() => capture.CaptureAsync(frame, CancellationToken.None).AsTask());
        Assert.StartsWith("/dev/video0 went away mid-stream (ENODEV, ", gone.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', gone.Message);
        capture.Open(8, 2); // closes what was open first: the simulated camera asserts every buffer was unmapped
        Assert.True(await capture.CaptureAsync(frame, CancellationToken.None));
        Assert.All(frame, b => Assert.Equal(90, b));
        Assert.Equal(2, _camera.Opens);
    }

    [Fact]
    public void Open_SizeTheCameraDoesNotHave_ListsWhatItOffersAndClosesTheDevice()
    {
        using var camera = new SimulatedV4l2Camera
        {
            Formats = new() { ["H264"] = [(1920, 1080)], ["YUYV"] = [(640, 480), (320, 240)], ["MJPG"] = [(1280, 720), (640, 480)] },
        };
        using var capture = new V4l2Capture("/dev/video0", 1, camera);
        IOException ex = Assert.Throws<IOException>(() => capture.Open(28, 28));
        Assert.Equal(
            "/dev/video0 (Simulated camera) cannot deliver 28 × 28 in a format edgecl reads (YUYV, MJPG, JPEG, GREY, RGB3, BGR3); it offers H264 1920×1080; YUYV 640×480, 320×240; MJPG 1280×720, 640×480; set the source's width and height to one of those sizes",
            ex.Message);
        Assert.False(camera.IsOpen);
    }

    [Fact]
    public void Open_MetadataNode_SaysItIsNotACaptureDevice()
    {
        using var camera = new SimulatedV4l2Camera { DeviceCaps = 0x00800000 | V4l2Abi.CapStreaming, Formats = new() { ["YUYV"] = [(28, 28)] } };
        using var capture = new V4l2Capture("/dev/video1", 1, camera);
        IOException ex = Assert.Throws<IOException>(() => capture.Open(28, 28));
        Assert.StartsWith("/dev/video1 (Simulated camera) is not a video capture device; a USB camera's second node is usually its metadata", ex.Message, StringComparison.Ordinal);
        Assert.False(camera.IsOpen);
    }

    [Fact]
    public void Open_NoNode_RealSystemCalls_SayNoCameraAndWhatToDo()
    {
        using var capture = new V4l2Capture("/dev/video63", 1);
        IOException ex = Assert.Throws<IOException>(() => capture.Open(28, 28));
        Assert.Equal(
            "no camera at /dev/video63: the device node does not exist; connect a camera or set the camera source's path to one that exists (ls /dev/video*, v4l2-ctl --list-devices)",
            ex.Message);
    }

    [Fact]
    public void Open_NotAVideoNode_RealIoctlAnswersEnotty()
    {
        using var capture = new V4l2Capture("/dev/null", 1); // the real VIDIOC_QUERYCAP through the generated stub
        IOException ex = Assert.Throws<IOException>(() => capture.Open(28, 28));
        Assert.StartsWith("/dev/null is not a V4L2 video device; set the camera source's path", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Capture_FrameShorterThanTheSize_InvalidDataInOneLine()
    {
        _camera.Deliver(new byte[100]);
        using var capture = new V4l2Capture("/dev/video0", 1, _camera);
        capture.Open(28, 28);
        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => capture.CaptureAsync(new byte[28 * 28], CancellationToken.None).AsTask());
        Assert.StartsWith("/dev/video0 delivered a 100-byte YUYV frame, less than 28 × 28 needs (1568 bytes)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Capture_FramesTheDriverFlagsDamaged_SkippedUntilFiveInARow()
    {
        const uint damaged = V4l2Abi.BufFlagError;
        _camera.Frames.Enqueue((Yuyv(Luma(1, 16), 8), damaged));
        _camera.Deliver(Yuyv(Luma(2, 16), 8));
        for (int i = 0; i < 5; i++)
            _camera.Frames.Enqueue((Yuyv(Luma(3, 16), 8), damaged));
        using var capture = new V4l2Capture("/dev/video0", 1, _camera);
        capture.Open(8, 2);
        var frame = new byte[16];
        Assert.True(await capture.CaptureAsync(frame, CancellationToken.None));
        Assert.All(frame, b => Assert.Equal(2, b));
        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => capture.CaptureAsync(frame, CancellationToken.None).AsTask());
        Assert.Equal("/dev/video0 sent 5 damaged frames in a row (frames the driver flagged as damaged)", ex.Message);
    }

    [Fact]
    public async Task Capture_CameraSilent_GivesUpAfterTheFrameTimeout()
    {
        using var capture = new V4l2Capture("/dev/video0", 1, _camera);
        capture.Open(28, 28);
        var ex = await Assert.ThrowsAsync<IOException>(() => capture.CaptureAsync(new byte[28 * 28], CancellationToken.None).AsTask());
        Assert.StartsWith("/dev/video0 delivered no frame for 5 s", ex.Message, StringComparison.Ordinal);
        int polls = _camera.Calls.Count(c => c == "VIDIOC_DQBUF");
        Assert.Equal(V4l2Capture.FrameTimeoutMs / 200 + 1, polls);
    }

    [Fact]
    public async Task Capture_Cancelled_StopsWaiting()
    {
        using var capture = new V4l2Capture("/dev/video0", 1, _camera);
        capture.Open(28, 28);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => capture.CaptureAsync(new byte[28 * 28], cancelled.Token).AsTask());
    }
}
