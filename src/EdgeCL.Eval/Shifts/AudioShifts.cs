using System.Collections.Concurrent;
using EdgeCL.Core.Evaluation;

namespace EdgeCL.Eval.Shifts;

/// <summary>
/// Acoustic shifts on int16-scale PCM, deterministic by seed (feasibility.md §3 conditions, plus babble,
/// telephone band, speed and gain).
/// </summary>
/// <remarks>
/// <para>Every shift except <c>speed</c> first centres the clip in the front end's buffer (pad or crop, the same
/// offsets as <c>SpeechBackbone</c>), so additive noise covers all 1.5 s the model sees, as in feasibility §3.
/// Outputs are clipped to the int16 range, as a real ADC would.</para>
/// <para>SNR: 10·log10(P_speech / P_noise), with P_speech the mean power of the active samples (|s| &gt; 2 % of
/// the peak) and P_noise the mean power of the noise over the whole buffer.</para>
/// <para>Reverb is <b>not</b> SoX's reverb: it convolves with a synthetic impulse response (a unit direct path,
/// then from 45 ms a pink-noise tail decaying by 60 dB over RT60, 10.8 dB below the direct path in energy). The
/// onset, direct-to-reverberant ratio and spectral tilt were matched to the impulse response of
/// <c>sox reverb 90 50 100 100 20 0</c> (feasibility §3) measured at 16 kHz; RT60 3.5 s matches its early decay.
/// The output is trimmed to the buffer length, like <c>trim 0 1.5</c>.</para>
/// </remarks>
public static class AudioShifts
{
    /// <summary>Largest int16 sample.</summary>
    public const float Int16Max = 32767f;

    /// <summary>Smallest int16 sample.</summary>
    public const float Int16Min = -32768f;

    /// <summary>Samples above this fraction of the peak count as active speech.</summary>
    public const double ActiveFraction = 0.02;

    /// <summary>Talkers mixed by <c>babble</c>.</summary>
    public const int BabbleTalkers = 5;

    /// <summary>Buffers longer than this (continuous audio: a file of talk) get talkers that speak clip after clip
    /// over the whole buffer; shorter ones (a clip) one clip per talker, as always.</summary>
    public const double ContinuousBabbleSeconds = 4;

    /// <summary>Reverb: onset of the tail after the direct path (s).</summary>
    public const double ReverbOnsetSeconds = 0.045;

    /// <summary>Reverb: direct-to-reverberant energy ratio (dB).</summary>
    public const double ReverbDrrDb = 10.8;

    private static readonly ConcurrentDictionary<(double, int, int, long), double[]> s_impulseResponses = new();

    /// <summary>Applies an audio shift.</summary>
    /// <returns>A new buffer (clip length, or the resampled length for speed, then centred).</returns>
    /// <exception cref="ArgumentException">Not an audio shift, or babble without a babble source.</exception>
    public static float[] Apply(ShiftSpec shift, ReadOnlySpan<float> clip, AudioShiftContext context)
    {
        ArgumentNullException.ThrowIfNull(shift);
        ArgumentNullException.ThrowIfNull(context);
        if (shift.IsClean)
            return clip.ToArray();
        if (shift.Kind != ShiftKind.Audio)
            throw new ArgumentException($"Shift '{shift}' is an image corruption; audio datasets take {string.Join(", ", ShiftCatalog.AudioShifts)}.");
        if (shift.Parts is not null)
        {
            // A composition: each part in order, each with its own noise seed.
            float[] current = clip.ToArray();
            for (int i = 0; i < shift.Parts.Count; i++)
                current = Apply(shift.Parts[i], current, context with { SampleSeed = DeterministicRandom.Derive(unchecked((long)context.SampleSeed), "part", i) });
            return current;
        }
        var random = new DeterministicRandom(context.SampleSeed);
        if (shift.Name == "speed")
        {
            // Played faster or slower: resample as if recorded at rate·factor (pitch and tempo both change).
            int from = (int)Math.Round(context.SampleRate * shift.Value);
            var resampled = new float[Onnx.Audio.Resampler.OutputLength(clip.Length, from, context.SampleRate)];
            Onnx.Audio.Resampler.Resample(clip, from, context.SampleRate, resampled);
            return FitToLength(resampled, context.ClipSamples);
        }
        float[] fitted = FitToLength(clip, context.ClipSamples);
        double[] x = Array.ConvertAll(fitted, v => (double)v);
        switch (shift.Name)
        {
            case "white":
            case "pink":
            case "brown":
                AddAtSnr(x, ColouredNoise(x.Length, shift.Name == "white" ? 0 : shift.Name == "pink" ? 0.5 : 1.0, random), shift.Value);
                break;
            case "babble":
                AddAtSnr(x, Babble(x.Length, context, random), shift.Value);
                break;
            case "reverb":
                x = Fft.Convolve(x, ImpulseResponse(double.IsNaN(shift.Value) ? ShiftCatalog.DefaultReverbSeconds : shift.Value, context.SampleRate, context.ClipSamples, context.RunSeed), x.Length);
                break;
            case "telephone":
                // 4th-order Butterworth high-pass at 300 Hz and low-pass at 3400 Hz (two biquads each).
                foreach (double q in (ReadOnlySpan<double>)[0.54119610, 1.30656296])
                {
                    Biquad.HighPass(300, q, context.SampleRate).Process(x);
                    Biquad.LowPass(3400, q, context.SampleRate).Process(x);
                }
                break;
            case "gain":
                double g = Math.Pow(10, shift.Value / 20);
                for (int i = 0; i < x.Length; i++)
                    x[i] *= g;
                break;
            default:
                throw new ArgumentException($"Unknown audio shift '{shift.Name}'.");
        }
        var result = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
            result[i] = (float)Math.Clamp(x[i], Int16Min, Int16Max);
        return result;
    }

    /// <summary>Centres a clip in a buffer of <paramref name="length"/> samples (zero-pad or crop), as the speech front end does.</summary>
    public static float[] FitToLength(ReadOnlySpan<float> clip, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        var buffer = new float[length];
        if (clip.Length >= length)
            clip.Slice((clip.Length - length) / 2, length).CopyTo(buffer);
        else
            clip.CopyTo(buffer.AsSpan((length - clip.Length) / 2));
        return buffer;
    }

    /// <summary>Mean power of the active samples (|s| &gt; 2 % of the peak); 0 for silence.</summary>
    public static double ActiveSpeechPower(ReadOnlySpan<float> clip)
    {
        double peak = 0;
        foreach (float v in clip)
            peak = Math.Max(peak, Math.Abs((double)v));
        if (peak == 0)
            return 0;
        double threshold = ActiveFraction * peak, sum = 0;
        long n = 0;
        foreach (float v in clip)
        {
            if (Math.Abs((double)v) > threshold)
            {
                sum += (double)v * v;
                n++;
            }
        }
        return n == 0 ? 0 : sum / n;
    }

    /// <summary>SNR in dB of <paramref name="noisy"/> against the centred <paramref name="clean"/> clip (for checks).</summary>
    public static double MeasureSnrDb(ReadOnlySpan<float> clean, ReadOnlySpan<float> noisy)
    {
        float[] fitted = FitToLength(clean, noisy.Length);
        double noise = 0;
        for (int i = 0; i < noisy.Length; i++)
        {
            double d = (double)noisy[i] - fitted[i];
            noise += d * d;
        }
        noise /= noisy.Length;
        return 10 * Math.Log10(ActiveSpeechPower(fitted) / noise);
    }

    /// <summary>Gaussian noise whose amplitude spectrum falls as 1/f^exponent (0 white, 0.5 pink, 1 brown), shaped by FFT; zero mean.</summary>
    internal static double[] ColouredNoise(int length, double exponent, DeterministicRandom random)
    {
        int n = Fft.NextPowerOfTwo(length);
        double[] re = new double[n], im = new double[n];
        for (int i = 0; i < n; i++)
            re[i] = random.NextGaussian();
        if (exponent > 0)
        {
            Fft.Transform(re, im, inverse: false);
            re[0] = im[0] = 0;
            for (int k = 1; k <= n / 2; k++)
            {
                double scale = Math.Pow(k, -exponent);
                re[k] *= scale;
                im[k] *= scale;
                if (k != n / 2)
                {
                    re[n - k] *= scale;
                    im[n - k] *= scale;
                }
            }
            Fft.Transform(re, im, inverse: true);
        }
        return re.AsSpan(0, length).ToArray();
    }

    private static void AddAtSnr(double[] signal, double[] noise, double snrDb)
    {
        double speech = ActiveSpeechPower(Array.ConvertAll(signal, v => (float)v));
        double power = 0;
        foreach (double v in noise)
            power += v * v;
        power /= noise.Length;
        if (speech == 0 || power == 0)
            return;
        double scale = Math.Sqrt(speech / Math.Pow(10, snrDb / 10) / power);
        for (int i = 0; i < signal.Length; i++)
            signal[i] += scale * noise[i];
    }

    private static double[] Babble(int length, AudioShiftContext context, DeterministicRandom random)
    {
        IBabbleSource source = context.Babble
            ?? throw new ArgumentException("Shift 'babble' needs other clips of the dataset to mix; none were supplied.");
        int available = source.Count - (context.ExcludeIndex >= 0 ? 1 : 0);
        if (available < 1)
            throw new ArgumentException("Shift 'babble' needs at least two clips in the dataset.");
        var mix = new double[length];
        if (length > ContinuousBabbleSeconds * context.SampleRate)
            return ContinuousBabble(mix, source, context.ExcludeIndex, random);
        var used = new HashSet<int>();
        for (int t = 0; t < Math.Min(BabbleTalkers, available); t++)
        {
            int index;
            do
                index = random.NextInt(0, source.Count);
            while (index == context.ExcludeIndex || !used.Add(index));
            float[] talker = source.Clip(index);
            // A random placement: anywhere from half before the buffer to half past its end.
            int start = random.NextInt(-talker.Length / 2, Math.Max(-talker.Length / 2 + 1, length - talker.Length / 2));
            for (int i = 0; i < talker.Length; i++)
            {
                int j = start + i;
                if (j >= 0 && j < length)
                    mix[j] += talker[i];
            }
        }
        return mix;
    }

    /// <summary>Babble over continuous audio: each talker speaks one random clip after another, from a random point
    /// inside its first clip to the end of the buffer.</summary>
    /// <remarks>One clip per talker, as for a 1.5 s buffer, would put 5 clips in minutes of audio; scaled to the SNR
    /// over the whole buffer, those few clips came out far louder than the talk (about 12 dB above it in 7 minutes)
    /// and were heard as 5 shouted words per file (issue 10: the talk activations under babble, 2026-12-07).</remarks>
    private static double[] ContinuousBabble(double[] mix, IBabbleSource source, int exclude, DeterministicRandom random)
    {
        for (int t = 0; t < BabbleTalkers; t++)
        {
            int previous = -1, position = 0;
            for (bool first = true; position < mix.Length; first = false)
            {
                int index;
                do
                    index = random.NextInt(0, source.Count);
                while (index == exclude || (index == previous && source.Count > 2));
                previous = index;
                float[] talker = source.Clip(index);
                if (first)
                    position = -random.NextInt(0, Math.Max(1, talker.Length));
                for (int i = Math.Max(0, -position); i < talker.Length && position + i < mix.Length; i++)
                    mix[position + i] += talker[i];
                position += Math.Max(1, talker.Length);
            }
        }
        return mix;
    }

    /// <summary>The synthetic room impulse response (see the class remarks), cached per (RT60, rate, length, run seed).</summary>
    internal static double[] ImpulseResponse(double rt60Seconds, int sampleRate, int maxLength, long runSeed) =>
        s_impulseResponses.GetOrAdd((rt60Seconds, sampleRate, maxLength, runSeed), key =>
        {
            (double rt60, int rate, int max, long seed) = key;
            int length = Math.Min(max, (int)Math.Ceiling(rt60 * rate));
            int onset = (int)Math.Round(ReverbOnsetSeconds * rate);
            var h = new double[Math.Max(length, onset + 1)];
            h[0] = 1;
            double decay = 3 * Math.Log(10) / (rt60 * rate); // amplitude: −60 dB over RT60
            double[] tail = ColouredNoise(h.Length - onset, 0.5, new DeterministicRandom(DeterministicRandom.Derive(seed, "reverb", (long)(rt60 * 1000))));
            double power = 0;
            foreach (double v in tail)
                power += v * v;
            power /= tail.Length;
            // Energy of the (untruncated) tail envelope: Σ e^{−2·decay·k} = 1 / (1 − e^{−2·decay}).
            double envelopeEnergy = 1 / (1 - Math.Exp(-2 * decay));
            double gain = Math.Sqrt(Math.Pow(10, -ReverbDrrDb / 10) / envelopeEnergy / power);
            for (int k = 0; k < tail.Length; k++)
                h[onset + k] = gain * tail[k] * Math.Exp(-decay * k);
            return h;
        });
}
