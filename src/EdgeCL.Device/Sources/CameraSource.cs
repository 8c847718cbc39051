using System.Diagnostics;
using System.Threading.Channels;
using EdgeCL.Device.Config;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Sources;

/// <summary>Offers frames from a camera (type <c>camera</c>) through an <see cref="ICameraCapture"/>.</summary>
/// <remarks>
/// Every <see cref="SourceSettings.EveryNthFrame"/>-th frame is offered. A camera that is missing, cannot be opened, goes away or
/// delivers frames of another size is logged in one line and retried every second until it works; the agent keeps running.
/// The default capture is edgecl's own V4L2 streaming capture (<see cref="Camera.V4l2.V4l2Capture"/>), in every build, Native AOT included.
/// </remarks>
public sealed class CameraSource : IInputSource
{
    private const int RetryMs = 1000;

    private readonly ICameraCapture _capture;
    private readonly int _width;
    private readonly int _height;
    private readonly int _everyNth;
    private readonly int _outputChannels;
    private readonly string? _label;
    private readonly ILogger _logger;

    /// <summary>Creates the source over <paramref name="capture"/>, which it owns and disposes.</summary>
    /// <param name="settings">The source's settings: <c>width</c>, <c>height</c>, <c>every_nth_frame</c>, <c>label</c>.</param>
    /// <param name="context">Diagnostics.</param>
    /// <param name="capture">The camera.</param>
    /// <param name="outputChannels">Channels the image backbone takes (1 or 3), or 0 to keep the camera's.</param>
    /// <exception cref="SourceException">A setting out of range.</exception>
    public CameraSource(SourceSettings settings, SourceContext context, ICameraCapture capture, int outputChannels = 0)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(capture);
        if (outputChannels is not (0 or 1 or 3))
            throw new ArgumentOutOfRangeException(nameof(outputChannels), outputChannels, "Output channels must be 0 (keep), 1 or 3.");
        if (settings.Width is <= 0 or > RawFrameSource.MaxSide || settings.Height is <= 0 or > RawFrameSource.MaxSide)
            throw new SourceException($"camera: width × height is {settings.Width} × {settings.Height}; set both to a size the camera supports (v4l2-ctl --list-formats-ext).");
        if (settings.EveryNthFrame < 1)
            throw new SourceException($"camera: every_nth_frame is {settings.EveryNthFrame}; use 1 (every frame) or more.");
        _capture = capture;
        _width = settings.Width;
        _height = settings.Height;
        _everyNth = settings.EveryNthFrame;
        _outputChannels = outputChannels;
        _label = settings.Label;
        _logger = context.LoggerFactory.CreateLogger<CameraSource>();
        Name = $"camera:{DevicePath(settings.Path)}";
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>
    /// The V4L2 capture for <paramref name="settings"/>: <c>path</c> is the device node (default <c>/dev/video0</c>; a
    /// <c>/dev/v4l/by-id/…</c> link keeps naming the same camera across replugs), or just its number N for <c>/dev/videoN</c>.
    /// </summary>
    /// <param name="settings">The camera source's settings.</param>
    /// <param name="channels">Channels to deliver: 1 (grey) or 3 (RGB).</param>
    public static ICameraCapture CreateDefaultCapture(SourceSettings settings, int channels)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new Camera.V4l2.V4l2Capture(DevicePath(settings.Path), channels);
    }

    /// <summary><c>/dev/video0</c> for no path, <c>/dev/videoN</c> for a number N, else the path as given.</summary>
    internal static string DevicePath(string? path) =>
        string.IsNullOrWhiteSpace(path) ? "/dev/video0"
        : path.All(char.IsAsciiDigit) ? $"/dev/video{path}"
        : path;

    /// <inheritdoc/>
    /// <remarks>Runs until cancelled, then returns.</remarks>
    public async Task RunAsync(ChannelWriter<InputSample> output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        long frames = 0;
        bool logged = false;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                int channels;
                try
                {
                    channels = _capture.Open(_width, _height);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
                {
                    if (!logged)
                        SourceLog.CameraUnavailable(_logger, Name, ex.Message.ReplaceLineEndings(" "), RetryMs);
                    logged = true;
                    await Task.Delay(RetryMs, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (channels is not (1 or 3))
                    throw new SourceException($"{Name}: the capture delivers {channels}-channel frames; an ICameraCapture must deliver grey (1) or RGB (3).");
                byte[] frame = new byte[_width * _height * channels]; // reused for every capture of this opening
                string reason = "it stopped delivering frames";
                try
                {
                    while (await _capture.CaptureAsync(frame, cancellationToken).ConfigureAwait(false))
                    {
                        logged = false;
                        frames++;
                        if ((frames - 1) % _everyNth != 0)
                            continue;
                        InputSample sample = FrameImages.Sample(Name, frames, FrameImages.ToImage(frame, _width, _height, channels, bgr: false, _outputChannels), _label);
                        await output.WriteAsync(sample, cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (Exception ex) when (ex is InvalidDataException or IOException)
                {
                    reason = ex.Message; // frames of another size than configured, or the camera unplugged mid-stream
                }
                if (!logged)
                    SourceLog.CameraUnavailable(_logger, Name, reason, RetryMs);
                logged = true;
                await Task.Delay(RetryMs, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _capture.Dispose();
        return ValueTask.CompletedTask;
    }
}
