using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using EdgeCL.Device.Audio;
using EdgeCL.Device.Config;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Errors;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Sources;

/// <summary>
/// A live microphone: signed 16-bit little-endian mono 16 kHz PCM from stdin (<c>-</c>), a FIFO or a file, cut into
/// utterances by Silero VAD, each embedded once it is decided (<c>arecord -f S16_LE -r 16000 -c 1 | edgecl run ...</c>).
/// </summary>
/// <remarks>
/// <para>Per 80 ms hop: one VAD run and the <see cref="UtteranceSegmenter"/>, which keeps the recent samples. The backbone
/// runs only for an utterance: the 1.5 s clip centred on it is cut from that history and embedded with
/// <see cref="SpeechBackbone.EmbedPcm"/>, exactly as a file holding those samples would be. With
/// <see cref="VadSettings.EarlyEmbed"/> (the default) that happens as soon as the VAD decides the utterance has ended, the
/// clip's unheard end left as silence; without it, once the part of the clip that reaches the embedding has been heard
/// (<see cref="SpeechBackbone.SamplesUsed"/>). An utterance that
/// <see cref="SourceContext.NotAWord"/> rejects for its timing (talk, not an isolated word) is not embedded at all: it is
/// written with <see cref="InputSample.NotAWord"/> set, so a device that hears talk all day runs the backbone only for
/// candidate words. Each utterance becomes one <see cref="InputSample"/>; <see cref="InputSample.CompletedTimestamp"/> is
/// when the VAD decided it had ended.</para>
/// <para>The input is read through <c>poll</c> with a 100 ms timeout on a descriptor opened non-blocking, so that
/// waiting for a FIFO's writer never blocks cancellation. A FIFO whose writer goes away is reopened when
/// <see cref="SourceSettings.Reopen"/> is set (the pending utterance is flushed and the state reset); a file or stdin
/// ends at its end. A read or open error logs one line and is retried with backoff (0.25 s doubling to 5 s).</para>
/// <para>Owns its backbone instance (from <see cref="SourceContext.OpenBackbone"/>) and its VAD; runs on its own thread.</para>
/// </remarks>
public sealed partial class PcmStreamSource : IInputSource
{
    private const int SampleRate = 16000;
    private const int PollTimeoutMs = 100;
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    private readonly SourceSettings _settings;
    private readonly string _path;
    private readonly ILogger _logger;
    private readonly SpeechBackbone _backbone;
    private readonly SileroVad _vad;
    private readonly UtteranceSegmenter _segmenter;
    private readonly Func<SpeechTiming, string?>? _notAWord; // null for a labelled source: what it hears is taught
    private readonly bool _earlyEmbed;
    private readonly float[] _hop;
    private readonly float[] _clip;       // [ClipSamples]: the clip around an utterance, cut from the history
    private readonly byte[] _bytes;
    private readonly Queue<Pending> _pending = new();
    private bool _previousWasTalk; // the last decided utterance was answered unknown by the isolated-word rule
    private readonly float[]? _utterance; // [MaxUtteranceSamples] with "speech" placement: where the sound's centre is found
    private readonly CancellationTokenSource _stop = new();
    private Task? _running;
    private long _sessionOffset; // samples of earlier sessions (reopened FIFO), so utterance times keep increasing
    private int _disposed;

    /// <summary>Opens the source's own backbone and VAD.</summary>
    /// <param name="settings">A <c>pcm</c> source: <see cref="SourceSettings.Path"/> (<c>-</c> = stdin), <see cref="SourceSettings.Vad"/>,
    /// <see cref="SourceSettings.Reopen"/>, <see cref="SourceSettings.Label"/>.</param>
    /// <param name="context">The backbone factory, the VAD's folder, session options and logging.</param>
    /// <exception cref="SourceException">No path, a backbone that is not the speech backbone, invalid VAD settings, or a
    /// VAD model that is missing or corrupt.</exception>
    public PcmStreamSource(SourceSettings settings, SourceContext context)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);
        if (string.IsNullOrWhiteSpace(settings.Path))
            throw new SourceException("A pcm source needs \"path\": a FIFO, a file of raw S16_LE 16 kHz mono PCM, or \"-\" for stdin.");
        _settings = settings;
        _path = context.Resolve(settings.Path);
        Name = "pcm:" + _path;
        _logger = context.LoggerFactory.CreateLogger<PcmStreamSource>();
        _earlyEmbed = settings.Vad.EarlyEmbed;
        _notAWord = settings.Label is null ? context.NotAWord : null;

        string vadPath = settings.Vad.Model is { Length: > 0 } model ? context.Resolve(model)
            : context.BackboneDirectory is { } dir ? Path.Combine(dir, "silero_vad.onnx")
            : throw new SourceException("The pcm source cannot find silero_vad.onnx: the backbone has no folder; set vad.model to its path (models/speech/fetch.sh fetches it).");
        // The settings first: a typo must not cost loading two models.
        try
        {
            UtteranceSegmenter.Validate(settings.Vad);
        }
        catch (ArgumentException ex)
        {
            throw new SourceException($"Source {Name}: {ex.Message.Split(" (Parameter", 2)[0]}", ex);
        }

        IEmbeddingBackbone backbone = context.OpenBackbone();
        if (backbone is not SpeechBackbone speech)
        {
            string name = backbone.Name;
            backbone.Dispose();
            throw new SourceException($"Source {Name} streams audio and needs the speech backbone (kind '{SpeechBackbone.ManifestKind}'); backbone '{name}' is not one: use a files or folder source, or set \"backbone\": \"speech\".");
        }
        _backbone = speech;
        try
        {
            _vad = new SileroVad(vadPath, context.SessionOptions, SileroVad.DefaultChunkSamples, _logger);
        }
        catch (ModelLoadException ex)
        {
            _backbone.Dispose();
            throw new SourceException($"Source {Name}: {ex.Message}", ex);
        }
        // The history reaches back over a whole clip (plus one hop) when the clip is cut only after its end was heard.
        _segmenter = new UtteranceSegmenter(settings.Vad, SampleRate, _backbone.ClipSamples + _vad.ChunkSamples);
        _hop = new float[_vad.ChunkSamples];
        _bytes = new byte[_vad.ChunkSamples * sizeof(short) * 4];
        _clip = new float[_backbone.ClipSamples];
        if (_backbone.PlacesSpeech)
            _utterance = new float[_segmenter.MaxUtteranceSamples];
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>Utterances written so far.</summary>
    public int Utterances { get; private set; }

    /// <inheritdoc/>
    public Task RunAsync(ChannelWriter<InputSample> output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_running is { IsCompleted: false })
            throw new InvalidOperationException($"Source {Name} is already running.");
        // poll() blocks for up to 100 ms at a time: a thread of its own, not the pool's. A token cancelled before the
        // start ends the run quietly (no TaskCanceledException), as a cancellation during the run does.
        var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        _running = Task.Factory.StartNew(() =>
        {
            using (linked)
                Run(output, linked.Token);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        return _running;
    }

    /// <inheritdoc/>
    /// <remarks>Stops a run still in progress first, so the models are never disposed under it.</remarks>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_running is { } running)
        {
            try
            {
                await running.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The run's failure was already reported to whoever awaited RunAsync.
            }
        }
        _stop.Dispose();
        _vad.Dispose();
        _backbone.Dispose();
    }

    private void Run(ChannelWriter<InputSample> output, CancellationToken ct)
    {
        bool stdin = _path == "-";
        TimeSpan backoff = TimeSpan.FromMilliseconds(250);
        bool failing = false;
        while (!ct.IsCancellationRequested)
        {
            int fd = stdin ? 0 : Native.Open(_path, Native.OpenReadOnly | Native.OpenNonBlocking | Native.OpenCloseOnExec);
            if (fd < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (!failing)
                    Log.OpenFailed(_logger, Name, Marshal.GetPInvokeErrorMessage(errno), (long)backoff.TotalMilliseconds);
                failing = true;
                if (ct.WaitHandle.WaitOne(backoff))
                    return;
                backoff = Min(backoff * 2, MaxBackoff);
                continue;
            }

            // A FIFO or pipe cannot seek: its end means its writer went away, and a FIFO can be opened again.
            bool pipe = Native.Seek(fd, 0, Native.SeekCurrent) < 0;
            ReadResult result;
            try
            {
                if (failing)
                    Log.Reopened(_logger, Name);
                failing = false;
                result = ReadUntilEnd(fd, output, ct);
            }
            finally
            {
                if (!stdin)
                    Native.Close(fd);
            }

            if (result == ReadResult.Stopped)
                return;
            if (!FinishSession(output, ct))
                return;
            if (result == ReadResult.Error)
            {
                if (ct.WaitHandle.WaitOne(backoff))
                    return;
                backoff = Min(backoff * 2, MaxBackoff);
                failing = true;
                continue;
            }
            backoff = TimeSpan.FromMilliseconds(250);
            if (stdin || !pipe || !_settings.Reopen)
            {
                Log.Ended(_logger, Name, Utterances);
                return;
            }
            Log.WriterGone(_logger, Name);
        }
    }

    private enum ReadResult { End, Error, Stopped }

    private unsafe ReadResult ReadUntilEnd(int fd, ChannelWriter<InputSample> output, CancellationToken ct)
    {
        int hopBytes = _hop.Length * sizeof(short);
        int have = 0;
        var pfd = new Native.PollFd { Fd = fd, Events = Native.PollIn };
        fixed (byte* buffer = _bytes)
        {
            while (true)
            {
                if (ct.IsCancellationRequested)
                    return ReadResult.Stopped;
                pfd.Revents = 0;
                int ready = Native.Poll(&pfd, 1, PollTimeoutMs);
                if (ready == 0)
                    continue;
                if (ready < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == Native.EINTR)
                        continue;
                    Log.ReadFailed(_logger, Name, Marshal.GetPInvokeErrorMessage(errno));
                    return ReadResult.Error;
                }
                nint n = Native.Read(fd, buffer + have, (nuint)(_bytes.Length - have));
                if (n == 0)
                    return ReadResult.End;
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno is Native.EAGAIN or Native.EINTR)
                        continue;
                    Log.ReadFailed(_logger, Name, Marshal.GetPInvokeErrorMessage(errno));
                    return ReadResult.Error;
                }
                have += (int)n;
                int used = 0;
                for (; have - used >= hopBytes; used += hopBytes)
                {
                    Decode(_bytes.AsSpan(used, hopBytes), _hop);
                    if (!ProcessHop(output, ct))
                        return ReadResult.Stopped;
                }
                // Keep a partial hop (and an odd byte) for the next read.
                _bytes.AsSpan(used, have - used).CopyTo(_bytes);
                have -= used;
            }
        }
    }

    private static void Decode(ReadOnlySpan<byte> bytes, Span<float> samples)
    {
        for (int i = 0; i < samples.Length; i++)
            samples[i] = BinaryPrimitives.ReadInt16LittleEndian(bytes[(2 * i)..]);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static partial class Log
    {
        [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "Source {Source} cannot be opened ({Reason}); retrying every {DelayMs} ms or more until it can")]
        public static partial void OpenFailed(ILogger logger, string source, string reason, long delayMs);

        [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "Source {Source} is open again")]
        public static partial void Reopened(ILogger logger, string source);

        [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "Source {Source} read failed ({Reason}); retrying with backoff")]
        public static partial void ReadFailed(ILogger logger, string source, string reason);

        [LoggerMessage(EventId = 204, Level = LogLevel.Information, Message = "Source {Source}: the writer went away; waiting for the next one")]
        public static partial void WriterGone(ILogger logger, string source);

        [LoggerMessage(EventId = 205, Level = LogLevel.Information, Message = "Source {Source} ended after {Utterances} utterances")]
        public static partial void Ended(ILogger logger, string source, int utterances);
    }

    /// <summary>The few libc calls that make a FIFO readable with a timeout (Linux values).</summary>
    private static unsafe partial class Native
    {
        public const int OpenReadOnly = 0;
        public const int OpenNonBlocking = 0x800;     // O_NONBLOCK: opening a FIFO does not wait for a writer
        public const int OpenCloseOnExec = 0x80000;   // O_CLOEXEC
        public const short PollIn = 0x1;
        public const int SeekCurrent = 1;
        public const int EINTR = 4;
        public const int EAGAIN = 11;

        [StructLayout(LayoutKind.Sequential)]
        public struct PollFd
        {
            public int Fd;
            public short Events;
            public short Revents;
        }

        [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Open(string path, int flags);

        [LibraryImport("libc", EntryPoint = "close")]
        public static partial int Close(int fd);

        [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
        public static partial nint Read(int fd, byte* buffer, nuint count);

        [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
        public static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

        // off_t is pointer-sized on the 64-bit and the non-LFS 32-bit ABIs; only the sign of the result is used.
        [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
        public static partial nint Seek(int fd, nint offset, int whence);
    }
}
