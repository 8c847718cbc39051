using EdgeCL.Onnx.Audio;

namespace EdgeCL.Onnx.Tests.Audio;

/// <summary>Where the front end finds a clip's sound: the energy centroid of the frames that stand out.</summary>
public sealed class SpeechPlacementTests
{
    private const int Rate = 16000;

    [Theory]
    [InlineData(2000)]
    [InlineData(9000)]
    [InlineData(15000)]
    public void WordInDigitalSilenceIsFoundWhereverItSits(int offset)
    {
        float[] word = TestWav.Syllable(Rate, 0.5);
        var clip = new float[24000];
        word.CopyTo(clip, offset);
        int centre = SpeechPlacement.ActiveCentre(clip);
        Assert.InRange(centre, offset + word.Length / 2 - 800, offset + word.Length / 2 + 800);
    }

    [Fact]
    public void WordInSteadyNoiseIsFoundAndNoiseAloneKeepsTheMiddle()
    {
        float[] noise = TestWav.Noise(24000, 300, 3);
        Assert.InRange(SpeechPlacement.ActiveCentre(noise), 12000 - 1600, 12000 + 1600);
        float[] word = TestWav.Syllable(Rate, 0.4, peak: 6000);
        float[] noisy = (float[])noise.Clone();
        for (int i = 0; i < word.Length; i++)
            noisy[3000 + i] += word[i];
        Assert.InRange(SpeechPlacement.ActiveCentre(noisy), 3000 + word.Length / 2 - 800, 3000 + word.Length / 2 + 800);
    }

    [Fact]
    public void QuietTailBarelyMovesTheCentreAndSilenceKeepsTheMiddle()
    {
        float[] word = TestWav.Syllable(Rate, 0.4);
        var clip = new float[24000];
        word.CopyTo(clip, 6000);
        int dry = SpeechPlacement.ActiveCentre(clip);
        // A 25 dB-down tail lasting 0.6 s (a reverberant room) after the word.
        float[] tail = TestWav.Noise(9600, 8000 * 0.056, 8);
        for (int i = 0; i < tail.Length; i++)
            clip[6000 + word.Length + i] += tail[i];
        Assert.InRange(SpeechPlacement.ActiveCentre(clip) - dry, 0, 1600);
        Assert.Equal(12000, SpeechPlacement.ActiveCentre(new float[24000]));
        Assert.Equal(50, SpeechPlacement.ActiveCentre(new float[100]));
    }

    [Fact]
    public void PlaceAtPadsAndCropsAroundTheCentre()
    {
        float[] samples = Enumerable.Range(1, 10).Select(i => (float)i).ToArray();
        var buffer = new float[6];
        SpeechPlacement.PlaceAt(samples, 2, buffer);
        Assert.Equal([0f, 1, 2, 3, 4, 5], buffer);
        SpeechPlacement.PlaceAt(samples, 9, buffer);
        Assert.Equal([7f, 8, 9, 10, 0, 0], buffer);
    }
}
