using System.Diagnostics;
using System.Threading.Channels;
using EdgeCL.Device.Config;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Sources;

/// <summary>Reads fixed-size raw video frames from stdin or a FIFO (type <c>raw-frames</c>) and offers them as images.</summary>
/// <remarks>
/// <para>Each frame is <see cref="SourceSettings.Width"/> × <see cref="SourceSettings.Height"/> × 1 (<c>gray8</c>) or × 3
/// (<c>rgb24</c>, <c>bgr24</c>) bytes with no header, which is what ffmpeg writes with <c>-f rawvideo</c>:
/// <c>ffmpeg -f v4l2 -i /dev/video0 -vf scale=224:224 -pix_fmt gray -f rawvideo - | edgecl run ...</c>. BGR is swapped to RGB.</para>
/// <para>Every <see cref="SourceSettings.EveryNthFrame"/>-th frame is offered. When the writer closes a FIFO the source
/// reopens it (<see cref="SourceSettings.Reopen"/>) and waits for the next writer; stdin and regular files end the source.
/// A partial frame at the end of the stream is discarded with a log line.</para>
/// <para>One frame buffer is reused for every read; see <see cref="FrameImages.ToImage"/> for why each offered frame gets its own array.</para>
/// <para>Opening a FIFO blocks until a writer opens it; cancelling a pending open or read returns at once, while the
/// blocked system call ends when the writer appears or the process exits.</para>
/// </remarks>
public sealed class RawFrameSource : IInputSource
{
    /// <summary>Largest accepted side, as for decoded images.</summary>
    public const int MaxSide = 16384;

    private const int RetryMs = 1000;

    private readonly string _path;
    private readonly int _width;
    private readonly int _height;
    private readonly int _channels;
    private readonly bool _bgr;
    private readonly int _everyNth;
    private readonly bool _reopen;
    private readonly int _outputChannels;
    private readonly string? _label;
    private readonly byte[] _frame;
    private readonly ILogger _logger;

    /// <summary>Creates the source; frames keep their channels (grey stays grey, colour becomes RGB).</summary>
    /// <exception cref="SourceException">A setting is missing or out of range.</exception>
    public RawFrameSource(SourceSettings settings, SourceContext context)
        : this(settings, context, 0)
    {
    }

    /// <summary>Creates the source, converting every frame to <paramref name="outputChannels"/> channels (the image backbone's 1 or 3; 0 = keep).</summary>
    /// <exception cref="SourceException">A setting is missing or out of range.</exception>
    public RawFrameSource(SourceSettings settings, SourceContext context, int outputChannels)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);
        if (outputChannels is not (0 or 1 or 3))
            throw new ArgumentOutOfRangeException(nameof(outputChannels), outputChannels, "Output channels must be 0 (keep), 1 or 3.");
        if (string.IsNullOrWhiteSpace(settings.Path))
            throw new SourceException("A 'raw-frames' source needs a path: a FIFO, or \"-\" for stdin (e.g. ffmpeg ... -f rawvideo - | edgecl run).");
        if (settings.Width is <= 0 or > MaxSide || settings.Height is <= 0 or > MaxSide)
            throw new SourceException($"raw-frames {settings.Path}: width × height is {settings.Width} × {settings.Height}; set both to the frame size ffmpeg writes (1..{MaxSide}, e.g. -vf scale=224:224).");
        _channels = FrameImages.BytesPerPixel(settings.PixelFormat);
        if (_channels == 0)
            throw new SourceException($"raw-frames {settings.Path}: pixel_format '{settings.PixelFormat}' is not supported; use gray8 (ffmpeg -pix_fmt gray), rgb24 or bgr24.");
        if (settings.EveryNthFrame < 1)
            throw new SourceException($"raw-frames {settings.Path}: every_nth_frame is {settings.EveryNthFrame}; use 1 (every frame) or more.");
        _path = context.Resolve(settings.Path);
        _width = settings.Width;
        _height = settings.Height;
        _bgr = settings.PixelFormat.Equals("bgr24", StringComparison.OrdinalIgnoreCase);
        _everyNth = settings.EveryNthFrame;
        _reopen = settings.Reopen;
        _outputChannels = outputChannels;
        _label = settings.Label;
        _frame = new byte[_width * _height * _channels];
        _logger = context.LoggerFactory.CreateLogger<RawFrameSource>();
        Name = $"raw-frames:{(_path == "-" ? "stdin" : _path)}";
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>Bytes per frame.</summary>
    public int FrameBytes => _frame.Length;

    /// <inheritdoc/>
    /// <remarks>Returns at the end of stdin or a regular file, when a FIFO closes and <see cref="SourceSettings.Reopen"/> is off, or when cancelled.</remarks>
    public async Task RunAsync(ChannelWriter<InputSample> output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        long frames = 0;
        try
        {
            while (true)
            {
                Stream stream = await OpenAsync(cancellationToken).ConfigureAwait(false);
                bool fifo;
                await using (stream.ConfigureAwait(false))
                {
                    fifo = _path != "-" && !stream.CanSeek;
                    while (true)
                    {
                        int filled = await FillAsync(stream, cancellationToken).ConfigureAwait(false);
                        if (filled < _frame.Length)
                        {
                            if (filled > 0)
                                SourceLog.PartialFrame(_logger, Name, filled, _frame.Length);
                            break;
                        }
                        frames++;
                        if ((frames - 1) % _everyNth != 0)
                            continue;
                        InputSample sample = FrameImages.Sample(Name, frames, FrameImages.ToImage(_frame, _width, _height, _channels, _bgr, _outputChannels), _label);
                        await output.WriteAsync(sample, cancellationToken).ConfigureAwait(false);
                    }
                }
                if (!(fifo && _reopen))
                {
                    SourceLog.Ended(_logger, Name, frames);
                    return;
                }
                SourceLog.Reopening(_logger, Name, _path, frames);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<int> FillAsync(Stream stream, CancellationToken cancellationToken)
    {
        int filled = 0;
        while (filled < _frame.Length)
        {
            // WaitAsync: a blocked pipe read ignores the token, the source must not.
            int read = await stream.ReadAsync(_frame.AsMemory(filled), cancellationToken).AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
            if (read == 0)
                break;
            filled += read;
        }
        return filled;
    }

    private async Task<Stream> OpenAsync(CancellationToken cancellationToken)
    {
        if (_path == "-")
            return Console.OpenStandardInput();
        bool logged = false;
        while (true)
        {
            if (!File.Exists(_path))
            {
                if (!logged)
                    SourceLog.WaitingForPath(_logger, Name, _path);
                logged = true;
                await Task.Delay(RetryMs, cancellationToken).ConfigureAwait(false);
                continue;
            }
            // Opening a FIFO for reading blocks until a writer opens it, so it runs off the caller's thread.
            Task<Stream> open = Task.Run<Stream>(() => new FileStream(_path, new FileStreamOptions
            {
                Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite, BufferSize = 0,
            }), CancellationToken.None);
            try
            {
                return await open.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Whatever the open yields later is closed; nothing else holds it.
                _ = open.ContinueWith(static t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
                throw;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                if (!logged)
                    SourceLog.OpenFailed(_logger, Name, _path, ex.Message.ReplaceLineEndings(" "), RetryMs);
                logged = true;
                await Task.Delay(RetryMs, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
