using System.Buffers;
using System.Numerics.Tensors;

namespace EdgeCL.Onnx.Audio;

/// <summary>
/// Where the sound is in a clip: the centre of its active region, so the speech front end can place the sound, not
/// the file, in the middle of its fixed-length buffer.
/// </summary>
/// <remarks>
/// <para>Why: the embedding is the mean of 9 windows of 775 ms across a 1.5 s buffer, so it is not shift-invariant.
/// A word at a random offset inside a 1.5 s file (a real recording, a TTS export, a line-in capture cut by time, not by
/// a VAD) lands elsewhere in the windows than the same word padded by the front end. On the independent keyword set
/// (ops/data/make-independent.sh) static CL2N accuracy was 67.5 % with file centring and 93.8 % with the words
/// trimmed and re-centred. The device's live path already centres on the VAD's speech (Utterance.SpeechCentre);
/// this gives files the same treatment.</para>
/// <para>The active region is the span from the first to the last 10 ms frame whose level is within
/// <see cref="RelativeFloorDb"/> of the loudest frame, <see cref="AboveNoiseDb"/> above the clip's noise floor and
/// above <see cref="AbsoluteFloorDb"/>. Steady noise or a tone has no frame that stands out and keeps the file's
/// centre, as does digital silence. One pass over the samples; frame levels on the stack (rented beyond 20 s).</para>
/// </remarks>
public static class SpeechPlacement
{
    /// <summary>Frame length in samples (10 ms at 16 kHz, the mel model's hop).</summary>
    public const int FrameSamples = 160;

    /// <summary>A frame is active when its energy is within this many dB of the loudest frame.</summary>
    public const float RelativeFloorDb = -40f;

    /// <summary>Frames quieter than this (dB of int16-scale mean square; 18 dB = 8 LSB rms, about −72 dBFS) are never
    /// active: a click in digital silence or the dither itself does not move the centre.</summary>
    public const float AbsoluteFloorDb = 18f;

    /// <summary>In noise a frame must also stand this far above the noise floor (the level of the quietest
    /// <see cref="NoiseFloorPercentile"/> of frames), so noise around a word does not count as sound.</summary>
    public const float AboveNoiseDb = 6f;

    /// <summary>Share of frames taken as the noise floor's estimate.</summary>
    public const float NoiseFloorPercentile = 0.1f;

    /// <summary>Canonical description, part of the embedding-space id.</summary>
    public const string Description = "speech-centre(frame=160,rel=-40dB,floor=p10+6dB,abs=18dB)";

    private const int StackFrames = 2048;   // 20 s of frames on the stack; longer clips rent
    private const int HistogramBins = 128;  // 1 dB bins over 0..127 dB

    /// <summary>The sample index at the middle of the active region of <paramref name="samples"/> (int16 scale), or
    /// the middle of the clip when no frame is active.</summary>
    public static int ActiveCentre(ReadOnlySpan<float> samples)
    {
        int frames = samples.Length / FrameSamples;
        if (frames == 0)
            return samples.Length / 2;
        float[]? rented = frames > StackFrames ? ArrayPool<float>.Shared.Rent(frames) : null;
        try
        {
            Span<float> levels = rented is null ? stackalloc float[frames] : rented.AsSpan(0, frames);
            Span<int> histogram = stackalloc int[HistogramBins];
            histogram.Clear();
            float loudest = 0f;
            for (int f = 0; f < frames; f++)
            {
                // Frame level in dB of the mean square (int16 scale): 0 dB = 1 LSB rms, 90 dB = full scale.
                float level = 10f * MathF.Log10(TensorPrimitives.SumOfSquares(samples.Slice(f * FrameSamples, FrameSamples)) / FrameSamples + 1f);
                levels[f] = level;
                loudest = MathF.Max(loudest, level);
                histogram[Math.Clamp((int)level, 0, HistogramBins - 1)]++;
            }
            float floor = Percentile(histogram, frames, NoiseFloorPercentile);
            float threshold = MathF.Max(MathF.Max(loudest + RelativeFloorDb, floor + AboveNoiseDb), AbsoluteFloorDb);
            if (loudest < threshold)
                return samples.Length / 2; // nothing stands out: silence, or steady noise / tone
            // Energy centroid of the active frames: a reverberant tail or a quiet ending, 10-30 dB down, barely moves it.
            double weighted = 0, total = 0;
            for (int f = 0; f < frames; f++)
            {
                if (levels[f] < threshold)
                    continue;
                double energy = Math.Pow(10, (levels[f] - loudest) / 10.0);
                weighted += energy * (f + 0.5);
                total += energy;
            }
            return (int)Math.Round(weighted / total * FrameSamples);
        }
        finally
        {
            if (rented is not null)
                ArrayPool<float>.Shared.Return(rented);
        }
    }

    // The level below which NoiseFloorPercentile of the frames lie, to the histogram's 1 dB resolution.
    private static float Percentile(ReadOnlySpan<int> histogram, int total, float percentile)
    {
        int target = (int)MathF.Ceiling(total * percentile), seen = 0;
        for (int b = 0; b < histogram.Length; b++)
        {
            seen += histogram[b];
            if (seen >= target)
                return b + 1;
        }
        return histogram.Length;
    }

    /// <summary>Copies <paramref name="samples"/> into <paramref name="buffer"/> (cleared first) so that sample
    /// <paramref name="centre"/> lands at the buffer's middle; what falls outside is cropped, the rest is zeros.</summary>
    public static void PlaceAt(ReadOnlySpan<float> samples, int centre, Span<float> buffer)
    {
        buffer.Clear();
        int offset = buffer.Length / 2 - centre; // buffer index of sample 0
        int from = Math.Max(0, -offset);
        int to = Math.Min(samples.Length, buffer.Length - offset);
        if (to > from)
            samples[from..to].CopyTo(buffer[(from + offset)..]);
    }
}
