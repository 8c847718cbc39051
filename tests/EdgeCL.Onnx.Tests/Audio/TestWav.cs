using System.Buffers.Binary;
using System.Text;

namespace EdgeCL.Onnx.Tests.Audio;

/// <summary>Builds WAV files of any layout for the reader tests, and synthetic signals (no espeak-ng needed).</summary>
internal static class TestWav
{
    public const ushort Pcm = 1, Float = 3, Extensible = 0xFFFE;

    /// <summary>A RIFF/WAVE file from chunks; odd bodies get a pad byte unless <paramref name="pad"/> is false.</summary>
    public static byte[] Riff(bool pad, params (string Id, byte[] Body)[] chunks)
    {
        using var ms = new MemoryStream();
        ms.Write("RIFF"u8);
        ms.Write(new byte[4]);
        ms.Write("WAVE"u8);
        byte[] size = new byte[4];
        foreach (var (id, body) in chunks)
        {
            ms.Write(Encoding.ASCII.GetBytes(id));
            BinaryPrimitives.WriteUInt32LittleEndian(size, (uint)body.Length);
            ms.Write(size);
            ms.Write(body);
            if (pad && body.Length % 2 == 1)
                ms.WriteByte(0);
        }
        byte[] bytes = ms.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)(bytes.Length - 8));
        return bytes;
    }

    public static byte[] Riff(params (string Id, byte[] Body)[] chunks) => Riff(true, chunks);

    /// <summary>A 16-byte fmt body (WAVEFORMAT/PCMWAVEFORMAT).</summary>
    public static byte[] Fmt(ushort tag, int channels, int rate, int bits, int? blockAlign = null)
    {
        byte[] b = new byte[16];
        int align = blockAlign ?? channels * bits / 8;
        BinaryPrimitives.WriteUInt16LittleEndian(b, tag);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2), (ushort)channels);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4), rate);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(8), rate * align);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(12), (ushort)align);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(14), (ushort)bits);
        return b;
    }

    /// <summary>A 40-byte WAVE_FORMAT_EXTENSIBLE fmt body.</summary>
    public static byte[] FmtExtensible(ushort subFormat, int channels, int rate, int containerBits, int validBits)
    {
        byte[] b = new byte[40];
        Fmt(Extensible, channels, rate, containerBits).CopyTo(b, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(16), 22);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(18), (ushort)validBits);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(20), channels == 1 ? 4u : 3u);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(24), subFormat);
        byte[] tail = [0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71];
        tail.CopyTo(b, 28);
        return b;
    }

    public static byte[] Int16(params short[] samples)
    {
        byte[] b = new byte[samples.Length * 2];
        for (int i = 0; i < samples.Length; i++)
            BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(2 * i), samples[i]);
        return b;
    }

    public static byte[] Int24(params int[] samples)
    {
        byte[] b = new byte[samples.Length * 3];
        for (int i = 0; i < samples.Length; i++)
        {
            b[3 * i] = (byte)samples[i];
            b[3 * i + 1] = (byte)(samples[i] >> 8);
            b[3 * i + 2] = (byte)(samples[i] >> 16);
        }
        return b;
    }

    public static byte[] Int32(params int[] samples)
    {
        byte[] b = new byte[samples.Length * 4];
        for (int i = 0; i < samples.Length; i++)
            BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4 * i), samples[i]);
        return b;
    }

    public static byte[] Float32(params float[] samples)
    {
        byte[] b = new byte[samples.Length * 4];
        for (int i = 0; i < samples.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(4 * i), samples[i]);
        return b;
    }

    public static byte[] Float64(params double[] samples)
    {
        byte[] b = new byte[samples.Length * 8];
        for (int i = 0; i < samples.Length; i++)
            BinaryPrimitives.WriteDoubleLittleEndian(b.AsSpan(8 * i), samples[i]);
        return b;
    }

    /// <summary>A sine at int16 scale.</summary>
    public static float[] Sine(int rate, double hz, double seconds, double amplitude)
    {
        float[] x = new float[(int)Math.Round(rate * seconds)];
        for (int i = 0; i < x.Length; i++)
            x[i] = (float)(amplitude * Math.Sin(2 * Math.PI * hz * i / rate));
        return x;
    }

    /// <summary>
    /// A crude voiced "syllable": a 140 Hz pulse train shaped by two formant-like resonances, with a raised-cosine
    /// envelope, centred in <paramref name="seconds"/>. Speech-like enough for the mel/embedding models to respond.
    /// </summary>
    public static float[] Syllable(int rate, double seconds, double f0 = 140, double f1 = 700, double f2 = 1200, double peak = 8000)
    {
        float[] x = new float[(int)Math.Round(rate * seconds)];
        int start = x.Length / 5, end = x.Length * 4 / 5;
        for (int i = start; i < end; i++)
        {
            double t = (double)i / rate;
            double env = 0.5 - 0.5 * Math.Cos(2 * Math.PI * (i - start) / (end - start));
            double s = 0;
            for (int h = 1; h * f0 < 4000; h++)
            {
                double f = h * f0;
                double g = 1.0 / (1 + Math.Pow((f - f1) / 120, 2)) + 0.6 / (1 + Math.Pow((f - f2) / 150, 2));
                s += g * Math.Sin(2 * Math.PI * f * t);
            }
            x[i] = (float)(peak * 0.4 * env * s);
        }
        return x;
    }

    /// <summary>Deterministic white noise at int16 scale.</summary>
    public static float[] Noise(int n, double sigma, int seed)
    {
        var rng = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++)
            x[i] = (float)(sigma * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        return x;
    }

    /// <summary>Amplitude and frequency of the dominant sinusoid over <paramref name="x"/> (least squares at a given frequency).</summary>
    public static double AmplitudeAt(ReadOnlySpan<float> x, int rate, double hz)
    {
        double c = 0, s = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double ph = 2 * Math.PI * hz * i / rate;
            c += x[i] * Math.Cos(ph);
            s += x[i] * Math.Sin(ph);
        }
        return 2 * Math.Sqrt(c * c + s * s) / x.Length;
    }

    public static double Rms(ReadOnlySpan<float> x)
    {
        double sum = 0;
        foreach (float v in x)
            sum += (double)v * v;
        return Math.Sqrt(sum / x.Length);
    }
}
