using EdgeCL.Device.Audio;
using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Sessions;
using EdgeCL.Tests.Shared;
using Xunit.Abstractions;

namespace EdgeCL.Device.Tests.Audio;

/// <summary>Silero VAD v4 on the real model: silence, light noise and keyword clips.</summary>
public sealed class SileroVadTests(ITestOutputHelper output)
{
    private static SileroVad Open(int chunk = SileroVad.DefaultChunkSamples)
    {
        SpeechData.RequireModels();
        return new SileroVad(SpeechData.VadPath, SessionOptionsSpec.Default, chunk);
    }

    private static float[] Run(SileroVad vad, float[] audio)
    {
        int n = audio.Length / vad.ChunkSamples;
        var p = new float[n];
        for (int i = 0; i < n; i++)
            p[i] = vad.Process(audio.AsSpan(i * vad.ChunkSamples, vad.ChunkSamples));
        return p;
    }

    [Fact]
    public void SilenceAndNoiseAreNotSpeechAndKeywordsAre()
    {
        SpeechData.RequireKeywords();
        using SileroVad vad = Open();
        float silenceMax = Run(vad, new float[16000 * 2]).Max();
        vad.Reset();
        float noiseMax = Run(vad, SpeechData.Noise(16000 * 2, 30, 7)).Max();
        var speechMax = new List<float>();
        foreach (string word in SpeechData.Words())
        {
            vad.Reset();
            float[] clip = SpeechData.Read(SpeechData.Clips("test", word, 1)[0]);
            var padded = new float[clip.Length + 16000];
            clip.CopyTo(padded, 4000);
            speechMax.Add(Run(vad, padded).Max());
        }
        output.WriteLine($"max p: silence {silenceMax:F3}, noise {noiseMax:F3}; keywords min {speechMax.Min():F3} median {speechMax.Order().ElementAt(speechMax.Count / 2):F3}");
        Assert.True(silenceMax < 0.2f, $"silence {silenceMax}");
        Assert.True(noiseMax < 0.2f, $"noise {noiseMax}");
        Assert.All(speechMax, p => Assert.True(p > 0.5f, $"a keyword peaked at {p}"));
    }

    [Fact]
    public void StateCarriesOverAndResetRestartsIt()
    {
        float[] clip = SpeechData.Read(SpeechData.Clips("test", SpeechData.Words()[1], 1)[0]);
        using SileroVad vad = Open();
        float[] first = Run(vad, clip);
        float[] continued = Run(vad, clip);
        vad.Reset();
        float[] again = Run(vad, clip);
        Assert.Equal(first, again);
        Assert.NotEqual(first, continued); // the LSTM state from the first pass changes the second
    }

    [Theory]
    [InlineData(512)]
    [InlineData(1536)]
    public void OtherChunkSizesRun(int chunk)
    {
        using SileroVad vad = Open(chunk);
        Assert.InRange(vad.Process(new float[chunk]), 0f, 1f);
        Assert.Throws<ArgumentException>(() => vad.Process(new float[chunk + 1]));
    }

    [Fact]
    public void ProcessAllocatesNothingAfterWarmUp()
    {
        using SileroVad vad = Open();
        float[] chunk = SpeechData.Noise(vad.ChunkSamples, 2000, 3);
        Assert.Equal(0, SteadyAllocation.Bytes(() =>
        {
            for (int i = 0; i < 20; i++)
                vad.Process(chunk);
        }));
    }

    [Fact]
    public void MissingOrCorruptModelSaysToRunTheFetchScript()
    {
        string dir = Directory.CreateTempSubdirectory("edgecl-vad-").FullName;
        try
        {
            string path = Path.Combine(dir, "silero_vad.onnx");
            var missing = Assert.Throws<ModelLoadException>(() => new SileroVad(path, SessionOptionsSpec.Default));
            Assert.Contains("run models/speech/fetch.sh", missing.Message);
            File.WriteAllBytes(path, [1, 2, 3]);
            var corrupt = Assert.Throws<ModelLoadException>(() => new SileroVad(path, SessionOptionsSpec.Default));
            Assert.Contains("SHA-256", corrupt.Message);
            Assert.Contains("run models/speech/fetch.sh", corrupt.Message);
            Assert.DoesNotContain('\n', corrupt.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
