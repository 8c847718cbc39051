using System.Buffers.Binary;

namespace EdgeCL.Onnx.Audio;

/// <summary>Writes 16-bit PCM mono WAV files from int16-scale float samples (the inverse of <see cref="WavReader"/>).</summary>
public static class WavWriter
{
    /// <summary>Size of the canonical 44-byte header (RIFF, fmt of 16 bytes, data).</summary>
    public const int HeaderBytes = 44;

    /// <summary>Encodes samples (int16 scale, ±32768) as a 16-bit mono WAV; values are rounded and clipped to int16.</summary>
    public static byte[] EncodeMono16(ReadOnlySpan<float> int16ScaleSamples, int sampleRate)
    {
        if (sampleRate is < WavReader.MinSampleRate or > WavReader.MaxSampleRate)
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, $"Sample rate must be {WavReader.MinSampleRate}..{WavReader.MaxSampleRate}.");
        long dataBytes = 2L * int16ScaleSamples.Length;
        if (dataBytes > int.MaxValue - HeaderBytes)
            throw new ArgumentException("Too many samples for one WAV file.", nameof(int16ScaleSamples));
        byte[] bytes = new byte[HeaderBytes + dataBytes];
        Span<byte> b = bytes;
        "RIFF"u8.CopyTo(b);
        BinaryPrimitives.WriteUInt32LittleEndian(b[4..], (uint)(36 + dataBytes));
        "WAVE"u8.CopyTo(b[8..]);
        "fmt "u8.CopyTo(b[12..]);
        BinaryPrimitives.WriteUInt32LittleEndian(b[16..], 16);
        BinaryPrimitives.WriteUInt16LittleEndian(b[20..], 1);              // PCM
        BinaryPrimitives.WriteUInt16LittleEndian(b[22..], 1);              // mono
        BinaryPrimitives.WriteUInt32LittleEndian(b[24..], (uint)sampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(b[28..], (uint)sampleRate * 2);
        BinaryPrimitives.WriteUInt16LittleEndian(b[32..], 2);              // block align
        BinaryPrimitives.WriteUInt16LittleEndian(b[34..], 16);             // bits
        "data"u8.CopyTo(b[36..]);
        BinaryPrimitives.WriteUInt32LittleEndian(b[40..], (uint)dataBytes);
        WriteSamples16(int16ScaleSamples, b[HeaderBytes..]);
        return bytes;
    }

    /// <summary>Writes samples (int16 scale) as raw S16_LE into <paramref name="destination"/> (2 bytes each): rounded,
    /// clipped to int16, NaN as 0. The data of a WAV file, or what a pcm source reads from a FIFO.</summary>
    public static void WriteSamples16(ReadOnlySpan<float> int16ScaleSamples, Span<byte> destination)
    {
        if (destination.Length < 2 * int16ScaleSamples.Length)
            throw new ArgumentException("The destination holds fewer than 2 bytes per sample.", nameof(destination));
        for (int i = 0; i < int16ScaleSamples.Length; i++)
        {
            float x = int16ScaleSamples[i];
            short s = float.IsNaN(x) ? (short)0 : (short)Math.Clamp(MathF.Round(x), short.MinValue, short.MaxValue);
            BinaryPrimitives.WriteInt16LittleEndian(destination[(2 * i)..], s);
        }
    }

    /// <summary>Writes samples (int16 scale) to a 16-bit mono WAV file, replacing it atomically.</summary>
    public static void WriteMono16(string path, ReadOnlySpan<float> int16ScaleSamples, int sampleRate)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes = EncodeMono16(int16ScaleSamples, sampleRate);
        string tmp = path + ".tmp";
        File.WriteAllBytes(tmp, bytes);
        File.Move(tmp, path, overwrite: true);
    }
}
