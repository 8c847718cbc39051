using EdgeCL.Core.Evaluation;
using EdgeCL.Eval.Shifts;

namespace EdgeCL.Eval.Tests.Shifts;

public class ShiftCompositionTests
{
    private const int Rate = 16000, Clip = 24000;

    private static float[] Speech()
    {
        var x = new float[11200];
        for (int i = 0; i < x.Length; i++)
        {
            double t = (double)i / Rate, envelope = Math.Sin(Math.PI * i / x.Length);
            x[i] = (float)(6000 * envelope * (Math.Sin(2 * Math.PI * 180 * t) + 0.5 * Math.Sin(2 * Math.PI * 540 * t)));
        }
        return x;
    }

    private static AudioShiftContext Context(ulong seed) => new(Rate, Clip, seed, 1);

    [Fact]
    public void ParseList_Composition_KeepsPartsInOrderAndNamesTheDomain()
    {
        IReadOnlyList<ShiftSpec> shifts = ShiftCatalog.ParseList("clean,reverb+brown:5,telephone", 3);
        ShiftSpec composed = shifts[1];
        Assert.Equal("reverb+brown:5", composed.DomainName);
        Assert.Equal(ShiftKind.Audio, composed.Kind);
        Assert.Equal(["reverb", "brown:5"], composed.Parts!.Select(p => p.DomainName));
        Assert.Equal("brown:5+reverb", ShiftCatalog.ParseList("brown:5+reverb", 3)[0].DomainName);
    }

    [Theory]
    [InlineData("reverb+gaussian_noise:3")]
    [InlineData("reverb+")]
    [InlineData("reverb+brown")]
    [InlineData("reverb+nope:3")]
    public void ParseList_BadComposition_OneLineError(string list)
    {
        var e = Assert.Throws<ArgumentException>(() => ShiftCatalog.ParseList(list, 3));
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Apply_ReverbThenBrown_IsReverbFollowedByNoiseAtTheSnrOfTheReverberatedClip()
    {
        ShiftSpec composed = ShiftCatalog.ParseList("reverb+brown:5", 3)[0];
        float[] clean = Speech();
        float[] both = AudioShifts.Apply(composed, clean, Context(11));
        // The same two steps by hand, with the part seeds the composition derives.
        float[] reverberated = AudioShifts.Apply(composed.Parts![0], clean, Context(DeterministicRandom.Derive(11, "part", 0)));
        float[] byHand = AudioShifts.Apply(composed.Parts[1], reverberated, Context(DeterministicRandom.Derive(11, "part", 1)));
        Assert.Equal(byHand, both);
        Assert.Equal(Clip, both.Length);
        // The noise is at 5 dB against the reverberated speech, and the result is neither part alone.
        Assert.InRange(AudioShifts.MeasureSnrDb(reverberated, both), 4.8, 5.2);
        float[] brownOnly = AudioShifts.Apply(composed.Parts[1], clean, Context(DeterministicRandom.Derive(11, "part", 1)));
        Assert.NotEqual(brownOnly, both);
        Assert.NotEqual(reverberated, both);
    }
}
