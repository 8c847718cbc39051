using System.Diagnostics;
using System.Threading.Channels;
using EdgeCL.Device.Config;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Sources;

/// <summary>Offers frames from a camera (type <c>camera</c>) through an <see cref="ICameraCapture"/>.</summary>
/// <remarks>
/// Every <see cref="SourceSettings.EveryNthFrame"/>-th frame is offered. A camera that is missing, cannot be opened, goes away or
/// delivers frames of another size is logged in one line and retried every second until it works; the agent keeps running.
/// The default capture is V4L2 through Iot.Device.Bindings' <c>VideoDevice</c> (<see cref="Camera.VideoDeviceCapture"/>).
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
        Name = $"camera:{settings.Path ?? "0"}";
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The V4L2 capture for <paramref name="settings"/>: <c>path</c> <c>/dev/videoN</c> picks camera N (default 0).</summary>
    /// <param name="settings">The camera source's settings.</param>
    /// <param name="channels">Channels to deliver: 1 (grey) or 3 (RGB).</param>
    /// <exception cref="SourceException">The Native AOT build, which has no V4L2 capture (<see cref="Camera.CameraFeature"/>).</exception>
    public static ICameraCapture CreateDefaultCapture(SourceSettings settings, int channels)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!Camera.CameraFeature.IsSupported)
            throw new SourceException(Camera.CameraFeature.OffMessage); // the AOT build: the capture code is trimmed away
        string digits = new([.. (settings.Path ?? "0").Where(char.IsAsciiDigit)]);
        int bus = digits.Length is > 0 and < 6 ? int.Parse(digits, System.Globalization.CultureInfo.InvariantCulture) : 0;
        return new Camera.VideoDeviceCapture(bus, channels);
    }

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
                catch (InvalidDataException ex)
                {
                    reason = ex.Message; // e.g. frames of another size than configured
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
