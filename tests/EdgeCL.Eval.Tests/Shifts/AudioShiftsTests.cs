using EdgeCL.Eval.Shifts;

namespace EdgeCL.Eval.Tests.Shifts;

public class AudioShiftsTests
{
    private const int Rate = 16000, Clip = 24000;

    /// <summary>A word-like clip: 0.7 s of amplitude-modulated harmonics, shorter than the buffer.</summary>
    private static float[] Speech()
    {
        var x = new float[11200];
        for (int i = 0; i < x.Length; i++)
        {
            double t = (double)i / Rate, envelope = Math.Sin(Math.PI * i / x.Length);
            x[i] = (float)(6000 * envelope * (Math.Sin(2 * Math.PI * 180 * t) + 0.5 * Math.Sin(2 * Math.PI * 540 * t) + 0.3 * Math.Sin(2 * Math.PI * 1300 * t)));
        }
        return x;
    }

    private static AudioShiftContext Context(ulong seed = 42, IBabbleSource? babble = null) => new(Rate, Clip, seed, 1, babble, 0);

    [Theory]
    [InlineData("white:10")]
    [InlineData("white:0")]
    [InlineData("pink:10")]
    [InlineData("pink:0")]
    [InlineData("brown:5")]
    [InlineData("babble:10")]
    [InlineData("babble:0")]
    public void Apply_NoiseAtSnr_MeasuresBackWithinTwoTenthsOfADecibel(string spec)
    {
        ShiftSpec shift = ShiftCatalog.ParseList(spec, 3)[0];
        float[] clean = Speech();
        float[] noisy = AudioShifts.Apply(shift, clean, Context(babble: new Babble()));
        Assert.Equal(Clip, noisy.Length);
        Assert.InRange(AudioShifts.MeasureSnrDb(clean, noisy), shift.Value - 0.2, shift.Value + 0.2);
    }

    [Theory]
    [InlineData("white:10")]
    [InlineData("pink:0")]
    [InlineData("babble:5")]
    [InlineData("reverb")]
    public void Apply_SameSeed_SameSamples_OtherSeed_Different(string spec)
    {
        ShiftSpec shift = ShiftCatalog.ParseList(spec, 3)[0];
        float[] clean = Speech();
        float[] a = AudioShifts.Apply(shift, clean, Context(7, new Babble()));
        float[] b = AudioShifts.Apply(shift, clean, Context(7, new Babble()));
        Assert.Equal(a, b);
        if (shift.Name != "reverb") // the room is fixed per run seed, not per sample
            Assert.NotEqual(a, AudioShifts.Apply(shift, clean, Context(8, new Babble())));
    }

    // A file of talk (20 s): the babble must be a steady bed under it, not a few clips scaled up to the whole file's
    // SNR (before 2026-12-07: 5 clips of 0.75 s in 20 s, each far louder than the talk).
    [Fact]
    public void Apply_BabbleOverContinuousAudio_CoversTheWholeFileAtAnEvenLevel()
    {
        const int Long = 20 * Rate;
        var talk = new float[Long];
        float[] word = Speech();
        for (int start = 0; start + word.Length <= Long; start += word.Length + 4000)
            word.CopyTo(talk, start);
        ShiftSpec shift = ShiftCatalog.ParseList("babble:5", 3)[0];
        float[] noisy = AudioShifts.Apply(shift, talk, new AudioShiftContext(Rate, Long, 9, 1, new Babble()));
        Assert.Equal(Long, noisy.Length);
        Assert.InRange(AudioShifts.MeasureSnrDb(talk, noisy), 4.8, 5.2);
        var rms = new List<double>();
        for (int block = 0; block + Rate <= Long; block += Rate)
        {
            double sum = 0;
            for (int i = block; i < block + Rate; i++)
                sum += (noisy[i] - talk[i]) * (double)(noisy[i] - talk[i]);
            rms.Add(Math.Sqrt(sum / Rate));
        }
        double median = rms.Order().ElementAt(rms.Count / 2);
        Assert.True(rms.Min() > 0.4 * median && rms.Max() < 2.5 * median, $"babble RMS per second {rms.Min():0} .. {rms.Max():0}, median {median:0}");
    }

    [Fact]
    public void Apply_PinkNoise_HasMoreLowThanHighFrequencyPower()
    {
        float[] silence = new float[Clip];
        silence[Clip / 2] = 10000; // one active sample sets the noise level
        float[] pink = AudioShifts.Apply(ShiftCatalog.ParseList("pink:0", 3)[0], silence, Context());
        float[] white = AudioShifts.Apply(ShiftCatalog.ParseList("white:0", 3)[0], silence, Context());
        // Power ∝ 1/f: ∫ over 50-500 Hz / ∫ over 4000-7500 Hz = ln 10 / ln 1.875 ≈ 3.7.
        Assert.InRange(BandPower(pink, 50, 500) / BandPower(pink, 4000, 7500), 2.5, 5.5);
        Assert.InRange(BandPower(white, 50, 500) / BandPower(white, 4000, 7500), 0.1, 0.3); // equal density, band widths 450 vs 3500 Hz
    }

    [Fact]
    public void Apply_Telephone_RemovesOutOfBandTonesKeepsInBand()
    {
        float[] low = TestData.Tone(100, Clip, 8000), mid = TestData.Tone(1000, Clip, 8000), high = TestData.Tone(6000, Clip, 8000);
        ShiftSpec phone = ShiftCatalog.ParseList("telephone", 3)[0];
        Assert.True(Rms(AudioShifts.Apply(phone, low, Context())) < 0.15 * Rms(low));
        Assert.True(Rms(AudioShifts.Apply(phone, high, Context())) < 0.1 * Rms(high));
        Assert.InRange(Rms(AudioShifts.Apply(phone, mid, Context())) / Rms(mid), 0.9, 1.1);
    }

    [Fact]
    public void Apply_Reverb_KeepsDirectPathAndAddsADecayingTail()
    {
        float[] click = new float[Clip];
        click[10] = 20000;
        float[] wet = AudioShifts.Apply(ShiftCatalog.ParseList("reverb", 3)[0], click, new AudioShiftContext(Rate, Clip, 1, 1));
        Assert.Equal(20000, wet[10], 1);
        Assert.InRange(wet[9], -1e-6f, 1e-6f);
        Assert.InRange(wet[10 + 700], -1e-6f, 1e-6f); // the tail starts 45 ms (720 samples) after the direct path
        double early = Rms(wet.AsSpan(1000, 3000).ToArray()), late = Rms(wet.AsSpan(20000, 3000).ToArray());
        Assert.True(early > 20 && late < 0.2 * early, $"early {early}, late {late}");
    }

    [Fact]
    public void Apply_SpeedAndGain_ChangeLengthAndLevel()
    {
        float[] clean = Speech();
        float[] fast = AudioShifts.Apply(ShiftCatalog.ParseList("speed:1.25", 3)[0], clean, Context());
        Assert.Equal(Clip, fast.Length);
        Assert.InRange(fast.Count(v => v != 0), (int)(clean.Length / 1.25) - 40, (int)(clean.Length / 1.25) + 40);
        float[] quiet = AudioShifts.Apply(ShiftCatalog.ParseList("gain:-20", 3)[0], clean, Context());
        Assert.InRange(Rms(quiet) / Rms(AudioShifts.FitToLength(clean, Clip)), 0.099, 0.101);
        float[] loud = AudioShifts.Apply(ShiftCatalog.ParseList("gain:20", 3)[0], clean, Context());
        Assert.InRange(loud.Max(), 32766f, 32767f); // clipped like an ADC
    }

    private static double Rms(float[] x) => Math.Sqrt(x.Average(v => (double)v * v));

    private static double BandPower(float[] x, double lo, double hi)
    {
        int n = 16384;
        double[] re = new double[n], im = new double[n];
        for (int i = 0; i < n; i++)
            re[i] = x[i];
        Fft.Transform(re, im, inverse: false);
        double sum = 0;
        for (int k = 1; k < n / 2; k++)
        {
            double f = (double)k * Rate / n;
            if (f >= lo && f < hi)
                sum += re[k] * re[k] + im[k] * im[k];
        }
        return sum;
    }

    private sealed class Babble : IBabbleSource
    {
        public int Count => 8;

        public float[] Clip(int index) => TestData.Tone(150 + 70 * index, 12000, 3000 + 300 * index);
    }
}
