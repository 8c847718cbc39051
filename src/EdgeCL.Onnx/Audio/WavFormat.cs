namespace EdgeCL.Onnx.Audio;

/// <summary>How the samples of a WAV file are encoded.</summary>
public enum WavSampleEncoding
{
    /// <summary>Integer PCM: 8-bit unsigned, 16/24/32-bit signed little-endian.</summary>
    PcmInteger,

    /// <summary>IEEE float, 32 or 64 bits, nominal range [−1, 1].</summary>
    IeeeFloat,
}

/// <summary>The format of a parsed WAV file and where its audio bytes lie.</summary>
/// <param name="SampleRate">Frames per second.</param>
/// <param name="Channels">Interleaved channels per frame.</param>
/// <param name="BitsPerSample">Container bits of one sample (8, 16, 24, 32 or 64).</param>
/// <param name="BlockAlign">Bytes per frame (all channels), as declared; at least Channels × BitsPerSample / 8.</param>
/// <param name="Encoding">Integer PCM or IEEE float.</param>
/// <param name="DataOffset">Offset of the first audio byte in the file.</param>
/// <param name="FrameCount">Whole frames in the data chunk.</param>
public readonly record struct WavFormat(
    int SampleRate, int Channels, int BitsPerSample, int BlockAlign, WavSampleEncoding Encoding, int DataOffset, int FrameCount)
{
    /// <summary>Duration in seconds.</summary>
    public double DurationSeconds => (double)FrameCount / SampleRate;
}
