using EdgeCL.Onnx.Audio;
using System.Diagnostics;
using System.Numerics.Tensors;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using EdgeCL.Core.Vectors;
using EdgeCL.Device.Config;
using EdgeCL.Device.Sources;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Sessions;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace EdgeCL.Device.Tests.Audio;

/// <summary>The PCM stream source end to end: keyword clips written into a real FIFO (and a file) as raw S16_LE PCM.</summary>
public sealed partial class PcmStreamSourceTests(SpeechBackboneFixture fixture, ITestOutputHelper output) : IClassFixture<SpeechBackboneFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-pcm-").FullName;
    private readonly ListLoggerFactory _logs = new();

    public void Dispose() => Directory.Delete(_dir, true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FifoStreamYieldsOneUtterancePerWordRecognisedByPrototypesFromFiles(bool earlyEmbed)
    {
        string[] words = SpeechData.Words();
        Assert.True(words.Length >= 6, $"the keyword set has {words.Length} words; expected 12");
        // Session 1: two passes over the words (two different test voices); session 2: three more.
        (string Word, float[] Pcm)[] first = [.. words.Select(w => (w, SpeechData.Read(SpeechData.Clips("test", w, 3)[2]))),
            .. words.Select(w => (w, SpeechData.Read(SpeechData.Clips("test", w, 4)[3])))];
        (string Word, float[] Pcm)[] second = words.Take(3).Select(w => (w, SpeechData.Read(SpeechData.Clips("test", w, 5)[4]))).ToArray();
        string fifo = Path.Combine(_dir, "mic.fifo");
        MakeFifo(fifo);

        await using var source = new PcmStreamSource(new SourceSettings { Type = "pcm", Path = "mic.fifo", Reopen = true, Vad = new VadSettings { EarlyEmbed = earlyEmbed } }, Context());
        var channel = Channel.CreateUnbounded<InputSample>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Task run = source.RunAsync(channel.Writer, cts.Token);
        var received = new List<InputSample>();

        // Session 1: every word once, then the writer closes; session 2: a new writer, three more words.
        await WriteSessionAsync(fifo, first, seed: 1);
        await ReadAsync(channel.Reader, received, first.Length, cts.Token);
        // Let the source see the end of session 1 first; a writer opening earlier would join the same stream.
        while (!_logs.Lines.Any(l => l.Contains("writer went away", StringComparison.Ordinal)))
            await Task.Delay(20, cts.Token);
        await WriteSessionAsync(fifo, second, seed: 2);
        await ReadAsync(channel.Reader, received, first.Length + second.Length, cts.Token);

        // Nothing more arrives (no spurious utterances from the noise), and cancellation ends the source promptly.
        await Task.Delay(300);
        Assert.False(channel.Reader.TryRead(out InputSample? extra), $"unexpected extra sample {extra?.Origin}");
        var stop = Stopwatch.StartNew();
        await cts.CancelAsync();
        await run;
        Assert.True(stop.ElapsedMilliseconds < 2000, $"the source took {stop.ElapsedMilliseconds} ms to stop");
        Assert.Equal(2, _logs.Lines.Count(l => l.Contains("writer went away", StringComparison.Ordinal)));

        // Origins: "utterance N at a-b s", numbered 1.., increasing in time across the reopen.
        double lastEnd = -1;
        for (int i = 0; i < received.Count; i++)
        {
            Match m = OriginPattern().Match(received[i].Origin);
            Assert.True(m.Success, received[i].Origin);
            Assert.Equal(i + 1, int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            double a = double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
            double b = double.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(a > lastEnd && b > a, received[i].Origin);
            lastEnd = b;
            Assert.Equal(source.Name, received[i].Source);
            Assert.Null(received[i].Label);
            Assert.True(received[i].CompletedTimestamp > 0);
            Assert.Equal(96, received[i].Embedding!.Length);
        }

        // NCM prototypes taught with EmbedPcm from 5 support files per word recognise the streamed words.
        string[] truth = [.. first.Select(c => c.Word), .. second.Select(c => c.Word)];
        var ncm = Ncm.FromSupport(fixture.Backbone, words, shots: 5);
        double[] trueCentres = [.. Centres(first, 0), .. Centres(second, (Compose(first, 1).Length) / (double)SpeechData.Rate)];
        static double Centre(string origin)
        {
            Match m = OriginPattern().Match(origin);
            return (double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) + double.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture)) / 2;
        }
        static IEnumerable<double> Centres((string, float[] Pcm)[] clips, double offset)
        {
            double at = offset + 0.6;
            foreach (var c in clips)
            {
                yield return at + c.Pcm.Length / 2.0 / SpeechData.Rate;
                at += c.Pcm.Length / (double)SpeechData.Rate + 0.6;
            }
        }
        int correct = 0;
        for (int i = 0; i < truth.Length; i++)
        {
            string predicted = ncm.Predict(received[i].Embedding!);
            correct += predicted == truth[i] ? 1 : 0;
            output.WriteLine($"{received[i].Origin}: {truth[i]} -> {predicted}; VAD centre - clip centre = {(Centre(received[i].Origin) - trueCentres[i]) * 1000:F0} ms");
        }
        // For reference: the same clips embedded from the files with EmbedPcm.
        float[][] clipsPcm = [.. first.Select(c => c.Pcm), .. second.Select(c => c.Pcm)];
        int fileCorrect = 0;
        var fileEmbedding = new float[96];
        var cosines = new float[truth.Length];
        for (int i = 0; i < truth.Length; i++)
        {
            fixture.Backbone.EmbedPcm(clipsPcm[i], fileEmbedding);
            fileCorrect += ncm.Predict(fileEmbedding) == truth[i] ? 1 : 0;
            cosines[i] = SpeechData.Cosine(received[i].Embedding!, fileEmbedding);
        }
        Array.Sort(cosines);
        output.WriteLine($"the same clips through EmbedPcm from files: {fileCorrect}/{truth.Length}; " +
            $"cosine(streamed with VAD centre and noise, EmbedPcm of the clean file): min {cosines[0]:F4}, median {cosines[cosines.Length / 2]:F4}");
        double accuracy = correct / (double)truth.Length;
        output.WriteLine($"streamed-word accuracy with 5-shot NCM from files (early_embed {earlyEmbed}): {correct}/{truth.Length} = {accuracy:P1}");
        Assert.True(accuracy >= 0.7, $"accuracy {accuracy:P1} < 70 %");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EarlyEmbedWritesTheUtteranceBeforeTheAudioItsLateWindowsNeed(bool earlyEmbed)
    {
        // The clip whose sound centre (where the 1.5 s clip is centred) lies nearest its speech end: the clip around it
        // then needs audio well past the end of the word, which is never written.
        (float[] clip, int end) = SpeechData.Words().SelectMany(w => SpeechData.Clips("test", w, 2)).Select(path =>
        {
            float[] c = SpeechData.Read(path);
            float peak = c.Max(MathF.Abs);
            return (Clip: c, End: Array.FindLastIndex(c, x => MathF.Abs(x) > 0.02f * peak) + 1);
        }).MinBy(c => c.End - SpeechPlacement.ActiveCentre(c.Clip));
        // 0.6 s of noise, the word up to its speech end, then 0.48 s of noise (the 240 ms hangover plus the VAD's lag);
        // the writer stays open, so no more audio comes and the source pads nothing.
        const int lead = 9600, tail = 7680;
        float[] audio = SpeechData.Noise(lead + end + tail, 30, seed: 5);
        TensorPrimitives.Add(audio.AsSpan(lead, end), clip.AsSpan(0, end), audio.AsSpan(lead, end));
        string fifo = Path.Combine(_dir, "early.fifo");
        MakeFifo(fifo);
        await using var source = new PcmStreamSource(new SourceSettings { Type = "pcm", Path = fifo, Vad = new VadSettings { EarlyEmbed = earlyEmbed } }, Context());
        var channel = Channel.CreateUnbounded<InputSample>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Task run = source.RunAsync(channel.Writer, cts.Token);
        await using (var writer = new FileStream(fifo, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1))
        {
            await writer.WriteAsync(Encode(audio), cts.Token);
            await writer.FlushAsync(cts.Token);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
            wait.CancelAfter(TimeSpan.FromSeconds(earlyEmbed ? 10 : 1.5));
            InputSample? s = null;
            try
            {
                s = await channel.Reader.ReadAsync(wait.Token);
            }
            catch (OperationCanceledException) when (!cts.IsCancellationRequested)
            {
            }
            if (!earlyEmbed)
            {
                // Without early_embed the source waits for audio that never comes while the writer is open.
                Assert.Null(s);
            }
            else
            {
                Assert.NotNull(s);
                Match m = OriginPattern().Match(s.Origin);
                Assert.True(m.Success, s.Origin);
                double centre = (double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) + double.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture)) / 2;
                double written = audio.Length / (double)SpeechData.Rate;
                // The streamed clip would end 0.75 s after the centre (give or take the origin's rounding): not written yet.
                Assert.True(centre + 0.75 - 0.02 > written, $"{s.Origin}: the clip around it ends by {centre + 0.75:F2} s, within the {written:F2} s written; the test proves nothing");
                Assert.Equal(96, s.Embedding!.Length);
                Assert.True(TensorPrimitives.Norm(s.Embedding) > 0);
            }
        }
        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public async Task RegularFileEndsAtItsEndAndFlushesTheLastUtterance()
    {
        string[] words = SpeechData.Words();
        (string, float[])[] clips = [(words[0], SpeechData.Read(SpeechData.Clips("test", words[0], 1)[0])), (words[1], SpeechData.Read(SpeechData.Clips("test", words[1], 1)[0]))];
        string file = Path.Combine(_dir, "take.raw");
        // No trailing silence: the second word is still open at the end and must be flushed.
        byte[] pcm = Encode(Compose(clips, seed: 3, trailingSilence: false));
        await File.WriteAllBytesAsync(file, pcm);

        await using var source = new PcmStreamSource(new SourceSettings { Type = "pcm", Path = file, Label = "yes" }, Context());
        var channel = Channel.CreateUnbounded<InputSample>();
        await source.RunAsync(channel.Writer, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));
        var samples = new List<InputSample>();
        while (channel.Reader.TryRead(out InputSample? s))
            samples.Add(s);
        Assert.Equal(2, samples.Count);
        Assert.All(samples, s => Assert.Equal("yes", s.Label));
        Assert.Contains(_logs.Lines, l => l.Contains("ended after 2 utterances", StringComparison.Ordinal));
    }

    [Fact]
    public async Task EachUtteranceIsToldWhetherTheOneBeforeItWasTalk()
    {
        string[] words = SpeechData.Words();
        (string, float[])[] clips = [.. words.Take(3).Select(w => (w, SpeechData.Read(SpeechData.Clips("test", w, 1)[0])))];
        string file = Path.Combine(_dir, "three.raw");
        await File.WriteAllBytesAsync(file, Encode(Compose(clips, seed: 5)));
        var asked = new List<SpeechTiming>();
        // The rule answers the first utterance "talk", the others words.
        string? Rule(SpeechTiming t)
        {
            asked.Add(t);
            return asked.Count == 1 ? "long-speech" : null;
        }

        await using var source = new PcmStreamSource(new SourceSettings { Type = "pcm", Path = file }, Context(Rule));
        var channel = Channel.CreateUnbounded<InputSample>();
        await source.RunAsync(channel.Writer, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal([false, true, false], asked.Select(t => t.FollowsTalk));
        Assert.All(asked.Skip(1), t => Assert.InRange(t.PauseBeforeMs, 300, 1500)); // the 0.6 s gaps, seen by the VAD
    }

    [Fact]
    public async Task AFifoThatAppearsLaterIsWaitedForWithOneLogLine()
    {
        string[] words = SpeechData.Words();
        (string, float[])[] clips = [(words[2], SpeechData.Read(SpeechData.Clips("test", words[2], 1)[0]))];
        string fifo = Path.Combine(_dir, "late.fifo");
        await using var source = new PcmStreamSource(new SourceSettings { Type = "pcm", Path = fifo }, Context());
        var channel = Channel.CreateUnbounded<InputSample>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Task run = source.RunAsync(channel.Writer, cts.Token);
        await Task.Delay(700); // the open fails a few times meanwhile (backoff 250, 500 ms)
        Assert.Single(_logs.Lines, l => l.Contains("cannot be opened", StringComparison.Ordinal));
        MakeFifo(fifo);
        // The source retries within its backoff and opens the FIFO; the writer's open waits for it.
        await WriteSessionAsync(fifo, clips, seed: 4).WaitAsync(TimeSpan.FromSeconds(10));
        InputSample s = await channel.Reader.ReadAsync(cts.Token);
        Assert.StartsWith("utterance 1 at ", s.Origin);
        Assert.Contains(_logs.Lines, l => l.Contains("is open again", StringComparison.Ordinal));
        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public async Task DisposingWhileWaitingForAWriterStopsTheRun()
    {
        string fifo = Path.Combine(_dir, "idle.fifo");
        MakeFifo(fifo);
        var source = new PcmStreamSource(new SourceSettings { Type = "pcm", Path = fifo }, Context());
        var channel = Channel.CreateUnbounded<InputSample>();
        Task run = source.RunAsync(channel.Writer, CancellationToken.None);
        await Task.Delay(200);
        Assert.False(run.IsCompleted);
        await source.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(run.IsCompletedSuccessfully);
        Assert.Equal(0, source.Utterances);
    }

    [Fact]
    public void ANonSpeechBackboneIsAOneLineSourceError()
    {
        var context = new SourceContext
        {
            ConfigDirectory = _dir,
            OpenBackbone = () => new FakeBackbone(),
            BackboneDirectory = SpeechData.ModelsDirectory,
            SessionOptions = SessionOptionsSpec.Default,
            LoggerFactory = _logs,
        };
        var ex = Assert.Throws<SourceException>(() => new PcmStreamSource(new SourceSettings { Type = "pcm", Path = "-" }, context));
        Assert.Contains("speech backbone", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void AMissingVadModelNamesTheFetchScript()
    {
        var ex = Assert.Throws<SourceException>(() => new PcmStreamSource(
            new SourceSettings { Type = "pcm", Path = "-", Vad = new VadSettings { Model = "nowhere/silero_vad.onnx" } }, Context()));
        Assert.Contains("run models/speech/fetch.sh", ex.Message);
        Assert.Throws<SourceException>(() => new PcmStreamSource(new SourceSettings { Type = "pcm" }, Context()));
    }

    private SourceContext Context(Func<SpeechTiming, string?>? notAWord = null, string backboneFolder = "speech") => new()
    {
        ConfigDirectory = _dir,
        OpenBackbone = () => SpeechData.OpenBackbone(backboneFolder),
        BackboneDirectory = SpeechData.ModelsDirectory,
        SessionOptions = SessionOptionsSpec.Default,
        LoggerFactory = _logs,
        NotAWord = notAWord,
    };

    [GeneratedRegex(@"^utterance (\d+) at (\d+\.\d\d)-(\d+\.\d\d) s$")]
    private static partial Regex OriginPattern();

    private static void MakeFifo(string path)
    {
        using var p = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }

    /// <summary>0.6 s of light noise, then each clip followed by 0.6 s of light noise (plus noise over the clips).</summary>
    private static float[] Compose((string Word, float[] Pcm)[] clips, int seed, bool trailingSilence = true)
    {
        const int gap = 9600;
        int total = gap + clips.Sum(c => c.Pcm.Length + gap) - (trailingSilence ? 0 : gap);
        float[] audio = SpeechData.Noise(total, 30, seed);
        int at = gap;
        foreach (var (_, pcm) in clips)
        {
            TensorPrimitives.Add(audio.AsSpan(at, pcm.Length), pcm, audio.AsSpan(at, pcm.Length));
            at += pcm.Length + gap;
        }
        return audio;
    }

    private static byte[] Encode(float[] samples)
    {
        var bytes = new byte[samples.Length * 2];
        for (int i = 0; i < samples.Length; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(2 * i), (short)Math.Clamp(samples[i], short.MinValue, short.MaxValue));
        return bytes;
    }

    private static async Task WriteSessionAsync(string fifo, (string, float[])[] clips, int seed)
    {
        byte[] pcm = Encode(Compose(clips, seed));
        // Opening a FIFO for writing waits for the reader, which the source keeps open (non-blocking) at all times.
        await using var writer = new FileStream(fifo, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1);
        for (int at = 0; at < pcm.Length; at += 4096) // like arecord: small writes
            await writer.WriteAsync(pcm.AsMemory(at, Math.Min(4096, pcm.Length - at)));
    }

    private static async Task ReadAsync(ChannelReader<InputSample> reader, List<InputSample> into, int count, CancellationToken ct)
    {
        while (into.Count < count)
            into.Add(await reader.ReadAsync(ct));
    }

    /// <summary>Test-centred NCM: centre on the support mean, L2-normalise, prototypes are class means, predict by cosine.</summary>
    private sealed class Ncm
    {
        private readonly float[] _centre;
        private readonly (string Label, float[] Prototype)[] _classes;

        private Ncm(float[] centre, (string, float[])[] classes) => (_centre, _classes) = (centre, classes);

        public static Ncm FromSupport(SpeechBackbone backbone, string[] words, int shots)
        {
            var perWord = words.Select(w => (w, SpeechData.Clips("support", w, shots).Select(f => { var e = new float[96]; backbone.EmbedPcm(SpeechData.Read(f), e); return e; }).ToArray())).ToArray();
            var centre = new float[96];
            int n = 0;
            foreach (var (_, es) in perWord)
                foreach (float[] e in es) { TensorPrimitives.Add(centre, e, centre); n++; }
            TensorPrimitives.Multiply(centre, 1f / n, centre);
            var classes = perWord.Select(p =>
            {
                var proto = new float[96];
                foreach (float[] e in p.Item2)
                    TensorPrimitives.Add(proto, Normalised(e, centre), proto);
                return (p.w, proto);
            }).ToArray();
            return new Ncm(centre, classes);
        }

        public string Predict(float[] embedding)
        {
            float[] q = Normalised(embedding, _centre);
            return _classes.MaxBy(c => TensorPrimitives.CosineSimilarity(q, c.Prototype)).Label;
        }

        private static float[] Normalised(float[] e, float[] centre)
        {
            var x = new float[e.Length];
            TensorPrimitives.Subtract(e, centre, x);
            TensorPrimitives.Divide(x, TensorPrimitives.Norm(x), x);
            return x;
        }
    }

    private sealed class FakeBackbone : IEmbeddingBackbone
    {
        public string Name => "digits";
        public EmbeddingSpace Space { get; } = new("fake", 8);
        public ExecutionProvider ActiveProvider => ExecutionProvider.Cpu;
        public IReadOnlyList<string> FileExtensions { get; } = [".png"];
        public void EmbedFile(string path, Span<float> embedding) => embedding.Clear();
        public void Dispose() { }
    }

    /// <summary>Collects formatted log lines.</summary>
    private sealed class ListLoggerFactory : ILoggerFactory, ILogger
    {
        private readonly List<string> _lines = [];

        public IReadOnlyList<string> Lines
        {
            get { lock (_lines) return [.. _lines]; }
        }

        public ILogger CreateLogger(string categoryName) => this;
        public void AddProvider(ILoggerProvider provider) { }
        public void Dispose() { }
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines) _lines.Add(formatter(state, exception));
        }
    }
}
