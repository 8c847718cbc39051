using System.Threading.Channels;
using EdgeCL.Device.Config;
using EdgeCL.Device.Sources;

namespace EdgeCL.Device.Tests.Audio;

/// <summary>What the source embeds: a streamed word is the file embedding of the same samples, and talk the isolated-word
/// rule rejects is not embedded at all.</summary>
public sealed partial class PcmStreamSourceTests
{
    [Theory]
    [InlineData("speech", false)]
    [InlineData("speech", true)]
    [InlineData("speech-ordered", true)] // three segment means in order: the same windows, pooled the same way
    public async Task AStreamedWordIsEmbeddedAsTheFileOfTheSameSamples(string backboneFolder, bool earlyEmbed)
    {
        using var backbone = SpeechData.OpenBackbone(backboneFolder);
        // Words in digital silence: the 1.5 s clip the source cuts around each one holds the samples EmbedPcm places for
        // the file (its unheard end, with early_embed, is silence either way).
        string[] words = SpeechData.Words();
        float[][] clips = [.. words.Take(3).SelectMany(w => SpeechData.Clips("test", w, 2)).Select(SpeechData.Read)];
        const int gap = 24000;
        var audio = new float[gap + clips.Sum(c => c.Length + gap)];
        int at = gap;
        foreach (float[] c in clips)
        {
            c.CopyTo(audio, at);
            at += c.Length + gap;
        }
        SourceContext context = Context(backboneFolder: backboneFolder);
        List<InputSample> samples = await StreamFileAsync(audio, new SourceSettings { Type = "pcm", Path = "words.raw", Vad = new VadSettings { EarlyEmbed = earlyEmbed } }, context);

        Assert.Equal(clips.Length, samples.Count);
        var expected = new float[backbone.Space.Dimension];
        float worst = 1;
        for (int i = 0; i < clips.Length; i++)
        {
            backbone.EmbedPcm(clips[i], expected);
            float cosine = SpeechData.Cosine(samples[i].Embedding!, expected);
            output.WriteLine($"{samples[i].Origin}: cosine to the file's embedding {cosine:F6}");
            worst = Math.Min(worst, cosine);
            Assert.Null(samples[i].NotAWord);
            Assert.NotNull(samples[i].Speech);
        }
        Assert.True(worst >= 0.999f, $"a streamed word's embedding is {worst:F6} from its file's (cosine)");
    }

    [Fact]
    public async Task TalkTheRuleRejectsIsNotEmbeddedButATaughtSourceAlwaysIs()
    {
        string[] words = SpeechData.Words();
        (string, float[])[] clips = [.. words.Take(3).Select(w => (w, SpeechData.Read(SpeechData.Clips("test", w, 1)[0])))];
        float[] audio = Compose(clips, seed: 6);
        var asked = new List<SpeechTiming>();
        SourceContext context = Context(notAWord: timing =>
        {
            lock (asked) asked.Add(timing);
            return "no-pause";
        });

        List<InputSample> talk = await StreamFileAsync(audio, new SourceSettings { Type = "pcm", Path = "talk.raw" }, context);
        Assert.Equal(3, talk.Count);
        Assert.All(talk, s => Assert.Equal(("no-pause", (float[]?)null), (s.NotAWord, s.Embedding)));
        Assert.Equal(talk.Select(s => s.Speech!.Value), asked);

        // A labelled source teaches what it hears: the rule is not asked, every utterance is embedded.
        asked.Clear();
        List<InputSample> taught = await StreamFileAsync(audio, new SourceSettings { Type = "pcm", Path = "taught.raw", Label = "yes" }, context);
        Assert.Equal(3, taught.Count);
        Assert.All(taught, s => Assert.Equal((null, 96), (s.NotAWord, s.Embedding!.Length)));
        Assert.Empty(asked);
    }

    /// <summary>Writes <paramref name="audio"/> as a raw PCM file named by the settings' path and reads every sample the source makes of it.</summary>
    private async Task<List<InputSample>> StreamFileAsync(float[] audio, SourceSettings settings, SourceContext context)
    {
        await File.WriteAllBytesAsync(Path.Combine(_dir, settings.Path!), Encode(audio));
        await using var source = new PcmStreamSource(settings, context);
        var channel = Channel.CreateUnbounded<InputSample>();
        await source.RunAsync(channel.Writer, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        var samples = new List<InputSample>();
        while (channel.Reader.TryRead(out InputSample? s))
            samples.Add(s);
        return samples;
    }
}
