using EdgeCL.Core.Vectors;
using EdgeCL.Onnx.Audio;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Sessions;
using EdgeCL.Onnx.Tests.Audio;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;

namespace EdgeCL.Onnx.Tests.Backbones;

/// <summary>
/// The openWakeWord speech backbone on the real models in models/speech/ (run models/speech/fetch.sh first:
/// these tests fail, never skip, when the models are missing). Fixtures are synthetic tones and noise.
/// </summary>
public sealed class SpeechBackboneTests(SpeechBackboneFixture fixture, ITestOutputHelper output) : IClassFixture<SpeechBackboneFixture>
{
    private const int Rate = 16000;

    private SpeechBackbone Backbone
    {
        get
        {
            SpeechModels.Require();
            return fixture.Backbone;
        }
    }

    [Fact]
    public void ShapesFollowTheManifest()
    {
        SpeechBackbone b = Backbone;
        Assert.Equal("speech", b.Name);
        Assert.Equal(96, b.Space.Dimension);
        Assert.Equal(SpaceIdentity.IdLength, b.Space.Id.Length);
        Assert.Equal(Rate, b.SampleRate);
        Assert.Equal(24000, b.ClipSamples);
        Assert.Equal(147, b.MelFrames);
        Assert.Equal(32, b.MelBins);
        Assert.Equal(9, b.Windows);
        Assert.Equal(("input_1", "conv2d_19"), (b.InputName, b.OutputName));
        Assert.Equal([".wav"], b.FileExtensions);
        Assert.Equal(ExecutionProvider.Cpu, b.ActiveProvider);
    }

    [Fact]
    public void ManifestFileParses()
    {
        BackboneManifest m = BackboneCatalog.LoadManifest(SpeechModels.ManifestPath);
        Assert.Equal(("speech", "speech-openwakeword", "embedding_model.onnx", 96, "fetch.sh"), (m.Name, m.Kind, m.Model, m.EmbeddingDimension, m.Fetch));
        Assert.NotNull(m.Speech);
        Assert.Equal(("melspectrogram.onnx", 16000, 1.5f, 2f, 76, 8), (m.Speech.MelModel, m.Speech.SampleRate, m.Speech.ClipSeconds, m.Speech.DitherLsb, m.Speech.WindowFrames, m.Speech.StepFrames));
        Assert.Equal(["melspectrogram.onnx", "embedding_model.onnx"], m.Files.Select(f => f.Path));
    }

    [Theory]
    [InlineData(512, 1)]
    [InlineData(671, 1)]
    [InlineData(672, 2)]
    [InlineData(1280, 5)]      // the npm port's chunk: 5 frames (it drops 3 of every 8)
    [InlineData(1760, 8)]      // 1280 new + 480 context: 8 frames per 80 ms step
    [InlineData(12640, 76)]    // the shortest input for one embedding window
    [InlineData(16000, 97)]
    [InlineData(24000, 147)]
    public void MelFrameCountMatchesTheModel(int samples, int frames)
    {
        SpeechModels.Require();
        Assert.Equal(frames, SpeechBackbone.MelFrameCount(samples));
        using OnnxSession mel = OnnxSessionFactory.Create(Path.Combine(SpeechModels.Directory, "melspectrogram.onnx"), SessionOptionsSpec.Default, _ => { });
        using var input = OrtValue.CreateTensorValueFromMemory(TestWav.Noise(samples, 1000, 1), [1, samples]);
        using var runOptions = new RunOptions();
        using var outputs = mel.Session.Run(runOptions, ["input"], [input], ["output"]);
        Assert.Equal([1L, 1L, frames, 32L], outputs[0].GetTensorTypeAndShape().Shape);
    }

    [Fact]
    public void MelFrameCountRejectsInputsBelowTheWindow() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => SpeechBackbone.MelFrameCount(511));

    [Fact]
    public void EmbeddingIsDeterministicAndFinite()
    {
        float[] clip = TestWav.Syllable(Rate, 0.8);
        float[] a = new float[96], b = new float[96], c = new float[96];
        Backbone.EmbedPcm(clip, a);
        Backbone.EmbedPcm(TestWav.Noise(20000, 3000, 5), c); // something else in between
        Backbone.EmbedPcm(clip, b);
        Assert.Equal(a, b);
        Assert.True(VectorKernels.AllFinite(a));
        Assert.True(VectorKernels.Norm(a) > 0);

        // A second instance (fresh sessions, fresh dither) gives the same bits and the same space.
        using SpeechBackbone other = SpeechModels.Create();
        other.EmbedPcm(clip, c);
        Assert.Equal(a, c);
        Assert.Equal(Backbone.Space, other.Space);
    }

    [Fact]
    public void SilenceAndSpeechLikeSoundsDiffer()
    {
        float[] silence = new float[96], syllable = new float[96], other = new float[96], noise = new float[96];
        Backbone.EmbedPcm(new float[Rate], silence);
        Backbone.EmbedPcm(TestWav.Syllable(Rate, 0.8), syllable);
        Backbone.EmbedPcm(TestWav.Syllable(Rate, 0.8, f0: 220, f1: 300, f2: 2300), other);
        Backbone.EmbedPcm(TestWav.Noise(Rate, 3000, 9), noise);
        double sSil = VectorKernels.Cosine(silence, syllable), sOther = VectorKernels.Cosine(syllable, other), sNoise = VectorKernels.Cosine(syllable, noise);
        output.WriteLine($"cos(silence, syllable) {sSil:F4}, cos(syllable, other syllable) {sOther:F4}, cos(syllable, noise) {sNoise:F4}");
        // Raw openWakeWord embeddings share a large common direction (mean cosine 0.94, feasibility.md §4), so
        // compare distances rather than absolute cosines: silence is farther from a syllable than another syllable is.
        Assert.True(sSil < 0.95, $"silence vs syllable cosine {sSil}");
        Assert.True(sSil < sOther, $"silence {sSil} should be farther from a syllable than another syllable {sOther}");
        Assert.True(VectorKernels.SquaredL2(silence, syllable) > 0.1f * VectorKernels.SquaredL2(syllable, new float[96]));
    }

    [Fact]
    public void WordIsEmbeddedTheSameWhereverItSitsInAFile()
    {
        // The shipped manifest places the sound, not the file, in the middle: a word early or late in a 1.5 s file
        // (silence inside the file) embeds as the same word padded by the front end.
        SpeechBackbone b = Backbone;
        Assert.True(b.PlacesSpeech);
        float[] word = TestWav.Syllable(Rate, 0.5);
        float[] centred = new float[96], early = new float[96], late = new float[96];
        b.EmbedPcm(word, centred);
        var file = new float[b.ClipSamples];
        word.CopyTo(file, 1000);
        b.EmbedPcm(file, early);
        Array.Clear(file);
        word.CopyTo(file, b.ClipSamples - word.Length - 1000);
        b.EmbedPcm(file, late);
        Assert.True(VectorKernels.Cosine(centred, early) > 0.995, $"early: cosine {VectorKernels.Cosine(centred, early):F4}");
        Assert.True(VectorKernels.Cosine(centred, late) > 0.995, $"late: cosine {VectorKernels.Cosine(centred, late):F4}");
    }

    [Fact]
    public void ClipsAreCentredPaddedAndCropped()
    {
        SpeechBackbone b = Backbone;
        float[] shortClip = TestWav.Syllable(Rate, 0.6);
        float[] padded = new float[b.ClipSamples];
        shortClip.CopyTo(padded, (b.ClipSamples - shortClip.Length) / 2);
        float[] e1 = new float[96], e2 = new float[96];
        b.EmbedPcm(shortClip, e1);
        b.EmbedPcm(padded, e2);
        Assert.Equal(e1, e2);

        float[] longClip = TestWav.Noise(31001, 2000, 4);
        b.EmbedPcm(longClip, e1);
        b.EmbedPcm(longClip.AsSpan((31001 - b.ClipSamples) / 2, b.ClipSamples), e2);
        Assert.Equal(e1, e2);
    }

    [Fact]
    public void DitherKeepsPaddingOffTheMelFloorAndMelIsScaled()
    {
        SpeechBackbone b = Backbone;
        float[] e = new float[96];
        b.EmbedPcm(new float[100], e);
        // Digital zeros give exactly −8 after x/10 + 2 (feasibility.md §2); 2-LSB dither lifts every bin.
        float min = float.MaxValue, max = float.MinValue;
        foreach (float v in b.LastMelFrames)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        output.WriteLine($"mel of dither only: min {min:F3}, max {max:F3}");
        Assert.True(min > -8f, $"dithered silence reached the mel floor ({min})");
        Assert.True(max < 5f, $"dithered silence looks loud ({max})"); // measured 1.8–4.1
        // The dither is σ = 2 LSB: check its level in the mel input.
        double rms = TestWav.Rms(b.LastClip);
        Assert.InRange(rms, 1.9, 2.1);

        b.EmbedPcm(TestWav.Syllable(Rate, 1.0, peak: 12000), e);
        float loud = float.MinValue;
        foreach (float v in b.LastMelFrames)
            loud = Math.Max(loud, v);
        output.WriteLine($"mel of a loud syllable: max {loud:F3}");
        Assert.InRange(loud, 4f, 14f); // int16-scale speech lands at roughly 4–11 (feasibility.md §2)
    }

    [Fact]
    public void UnitScaledInputGivesADifferentEmbedding()
    {
        // Guards the int16 scaling: [−1, 1] input (the npm port's bug) is 90 dB quieter and embeds differently.
        float[] clip = TestWav.Syllable(Rate, 0.8);
        float[] unit = clip.Select(v => v / 32768f).ToArray();
        float[] a = new float[96], b = new float[96];
        Backbone.EmbedPcm(clip, a);
        Backbone.EmbedPcm(unit, b);
        Assert.True(VectorKernels.Cosine(a, b) < 0.99);
    }

    [Fact]
    public void UnitScaledInputIsLoggedOnce()
    {
        SpeechModels.Require();
        var logger = new ListLogger();
        using SpeechBackbone b = SpeechBackbone.FromManifestFile(SpeechModels.ManifestPath, null, logger);
        float[] e = new float[96];
        b.EmbedPcm(TestWav.Syllable(Rate, 0.8), e);
        Assert.Empty(logger.Messages);
        float[] unit = TestWav.Syllable(Rate, 0.8).Select(v => v / 32768f).ToArray();
        b.EmbedPcm(unit, e);
        b.EmbedPcm(unit, e);
        string message = Assert.Single(logger.Messages);
        Assert.Contains("int16-scale", message);
    }

    private sealed class ListLogger : Microsoft.Extensions.Logging.ILogger
    {
        public List<string> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Add(formatter(state, exception));
    }

    [Fact]
    public void EmbedFileMatchesEmbedPcmAndResamples()
    {
        string dir = Directory.CreateTempSubdirectory("edgecl-speech-").FullName;
        try
        {
            float[] clip = TestWav.Syllable(Rate, 0.9).Select(v => MathF.Round(v)).ToArray();
            string path16 = Path.Combine(dir, "clip16k.wav");
            WavWriter.WriteMono16(path16, clip, Rate);
            float[] fromFile = new float[96], fromPcm = new float[96];
            Backbone.EmbedFile(path16, fromFile);
            Backbone.EmbedPcm(clip, fromPcm);
            Assert.Equal(fromPcm, fromFile);

            // The same sound recorded at 44.1 kHz embeds almost identically after resampling.
            float[] clip44 = TestWav.Syllable(44100, 0.9);
            string path44 = Path.Combine(dir, "clip44k.wav");
            WavWriter.WriteMono16(path44, clip44, 44100);
            float[] from44 = new float[96];
            Backbone.EmbedFile(path44, from44);
            double cos = VectorKernels.Cosine(from44, fromPcm);
            output.WriteLine($"cos(44.1 kHz file, 16 kHz PCM) = {cos:F6}");
            Assert.True(cos > 0.999, $"cosine {cos}");

            string bad = Path.Combine(dir, "bad.wav");
            File.WriteAllText(bad, "not a wav");
            var ex = Assert.Throws<InputFormatException>(() => Backbone.EmbedFile(bad, fromFile));
            Assert.Contains("bad.wav", ex.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void BadPcmIsRefused()
    {
        SpeechBackbone b = Backbone;
        float[] e = new float[96];
        Assert.Throws<InputFormatException>(() => b.EmbedPcm([], e));
        Assert.Throws<InputFormatException>(() => b.EmbedPcm([0f, float.NaN], e));
        Assert.Throws<ArgumentException>(() => b.EmbedPcm(new float[100], new float[95]));
    }

    [Fact]
    public void EmbedPcmAllocatesNothingAfterWarmUp()
    {
        SpeechBackbone b = Backbone;
        float[] clip = TestWav.Syllable(Rate, 1.2);
        float[] e = new float[96];
        for (int i = 0; i < 3; i++)
            b.EmbedPcm(clip, e);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
            b.EmbedPcm(clip, e);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"EmbedPcm: {allocated} bytes allocated over 20 clips");
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void WrongHashIsRefusedWithBothHashes()
    {
        SpeechModels.Require();
        BackboneManifest m = BackboneCatalog.LoadManifest(SpeechModels.ManifestPath);
        string wrong = new('0', 64);
        var bad = m with { Files = [.. m.Files.Select(f => f.Path == "embedding_model.onnx" ? f with { Sha256 = wrong } : f)] };
        var ex = Assert.Throws<ModelLoadException>(() => new SpeechBackbone(bad, SpeechModels.Directory, SessionOptionsSpec.Default));
        Assert.Contains("embedding_model.onnx", ex.Message);
        Assert.Contains(wrong, ex.Message);
        Assert.Contains("70d164290c1d095d1d4ee149bc5e00543250a7316b59f31d056cff7bd3075c1f", ex.Message);
        Assert.Contains("fetch.sh", ex.Message);
    }

    [Fact]
    public void MissingModelSaysToRunFetch()
    {
        BackboneManifest m = BackboneCatalog.LoadManifest(SpeechModels.ManifestPath);
        string dir = Directory.CreateTempSubdirectory("edgecl-nomodels-").FullName;
        try
        {
            var ex = Assert.Throws<ModelLoadException>(() => new SpeechBackbone(m, dir, SessionOptionsSpec.Default));
            Assert.Contains("melspectrogram.onnx", ex.Message);
            Assert.Contains("is missing", ex.Message);
            Assert.Contains("fetch.sh", ex.Message);
            Assert.DoesNotContain('\n', ex.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void ManifestThatDoesNotFitTheModelsIsRefused()
    {
        SpeechModels.Require();
        BackboneManifest m = BackboneCatalog.LoadManifest(SpeechModels.ManifestPath);
        var wrongDim = Assert.Throws<ModelLoadException>(() => new SpeechBackbone(m with { EmbeddingDimension = 32 }, SpeechModels.Directory, SessionOptionsSpec.Default));
        Assert.Contains("not an embedding of 32 values", wrongDim.Message);

        var wrongOutput = Assert.Throws<ModelLoadException>(() => new SpeechBackbone(m with { Output = "nope" }, SpeechModels.Directory, SessionOptionsSpec.Default));
        Assert.Contains("no output 'nope'", wrongOutput.Message);

        var swapped = m with { Model = "melspectrogram.onnx", Speech = m.Speech! with { MelModel = "embedding_model.onnx" } };
        Assert.Throws<ModelLoadException>(() => new SpeechBackbone(swapped, SpeechModels.Directory, SessionOptionsSpec.Default));

        var wrongKind = Assert.Throws<ModelLoadException>(() => new SpeechBackbone(m with { Kind = "image" }, SpeechModels.Directory, SessionOptionsSpec.Default));
        Assert.Contains("speech-openwakeword", wrongKind.Message);

        var tooShort = Assert.Throws<ModelLoadException>(() => new SpeechBackbone(m with { Speech = m.Speech! with { ClipSeconds = 0.5f } }, SpeechModels.Directory, SessionOptionsSpec.Default));
        Assert.Contains("clipSeconds", tooShort.Message);
    }

    [Fact]
    public void SpaceIdChangesWithThePreprocessing()
    {
        SpeechModels.Require();
        BackboneManifest m = BackboneCatalog.LoadManifest(SpeechModels.ManifestPath);
        using var moreDither = new SpeechBackbone(m with { Speech = m.Speech! with { DitherLsb = 3 } }, SpeechModels.Directory, SessionOptionsSpec.Default);
        using var longer = new SpeechBackbone(m with { Speech = m.Speech! with { ClipSeconds = 2f } }, SpeechModels.Directory, SessionOptionsSpec.Default);
        Assert.NotEqual(Backbone.Space.Id, moreDither.Space.Id);
        Assert.NotEqual(Backbone.Space.Id, longer.Space.Id);
        Assert.Equal((197, 16), (longer.MelFrames, longer.Windows)); // 2 s: T = 31488/160 + 1, W = 121/8 + 1
    }
    [Fact]
    public void OnlyTheFirstSamplesUsedOfAClipReachItsEmbedding()
    {
        // What a live source waits for without early_embed. With the file's own centring (no sound placement that looks
        // at the whole buffer) the rest of the clip is never read: zeroing it leaves the embedding bit for bit.
        SpeechModels.Require();
        BackboneManifest m = BackboneCatalog.LoadManifest(SpeechModels.ManifestPath);
        using var clipPlaced = new SpeechBackbone(m with { Speech = m.Speech! with { Placement = SpeechPreprocessing.PlacementClip } }, SpeechModels.Directory, SessionOptionsSpec.Default);
        Assert.Equal(22752, clipPlaced.SamplesUsed); // frame 139 of 147 (8 steps of 8 frames + 76 - 1) ends there
        var rng = new Random(4);
        float[] clip = new float[clipPlaced.ClipSamples];
        for (int i = 0; i < clip.Length; i++)
            clip[i] = (float)(4000 * Math.Sin(i * 0.07) + rng.Next(-500, 500));
        float[] whole = new float[96], cut = new float[96], touched = new float[96];
        clipPlaced.EmbedPcm(clip, whole);
        float[] tailless = (float[])clip.Clone();
        Array.Clear(tailless, clipPlaced.SamplesUsed, clip.Length - clipPlaced.SamplesUsed);
        clipPlaced.EmbedPcm(tailless, cut);
        Assert.Equal(whole, cut);
        tailless[clipPlaced.SamplesUsed - 256] += 3000; // the middle of the last frame used does count (its edge is windowed to ~0)
        clipPlaced.EmbedPcm(tailless, touched);
        Assert.NotEqual(whole, touched);
    }
}
