using System.Buffers.Binary;
using EdgeCL.Onnx.Audio;
using EdgeCL.Onnx.Errors;
using static EdgeCL.Onnx.Tests.Audio.TestWav;

namespace EdgeCL.Onnx.Tests.Audio;

public sealed class WavReaderTests
{
    [Fact]
    public void Pcm16MonoRoundTripsThroughWavWriter()
    {
        float[] x = [0, 1, -1, 32767, -32768, 1234, -4321];
        byte[] wav = WavWriter.EncodeMono16(x, 16000);
        Assert.Equal(WavWriter.HeaderBytes + 2 * x.Length, wav.Length);
        WavFormat f = WavReader.Parse(wav);
        Assert.Equal((16000, 1, 16, WavSampleEncoding.PcmInteger, x.Length), (f.SampleRate, f.Channels, f.BitsPerSample, f.Encoding, f.FrameCount));
        Assert.Equal(x, WavReader.DecodeMono(wav, 16000));
    }

    [Fact]
    public void WavWriterRoundsAndClips()
    {
        byte[] wav = WavWriter.EncodeMono16([0.6f, -0.6f, 40000f, -40000f, float.NaN], 16000);
        Assert.Equal([1f, -1f, 32767f, -32768f, 0f], WavReader.DecodeMono(wav, 16000));
    }

    [Fact]
    public void Pcm8IsUnsignedAndScaledToInt16()
    {
        byte[] wav = Riff(("fmt ", Fmt(Pcm, 1, 8000, 8)), ("data", [0, 128, 255]));
        Assert.Equal([-32768f, 0f, 32512f], WavReader.DecodeMono(wav, 8000));
    }

    [Fact]
    public void Pcm24IsSignExtendedAndScaledToInt16()
    {
        byte[] wav = Riff(("fmt ", Fmt(Pcm, 1, 16000, 24)), ("data", Int24(0x7FFFFF, -0x800000, 256, -256, 128)));
        Assert.Equal([32767.996f, -32768f, 1f, -1f, 0.5f], WavReader.DecodeMono(wav, 16000));
    }

    [Fact]
    public void Pcm32IsScaledToInt16()
    {
        byte[] wav = Riff(("fmt ", Fmt(Pcm, 1, 16000, 32)), ("data", Int32(int.MinValue, int.MaxValue, 65536, -65536 * 100)));
        Assert.Equal([-32768f, 32768f, 1f, -100f], WavReader.DecodeMono(wav, 16000));
    }

    [Fact]
    public void Float32AndFloat64AreScaledBy32768()
    {
        byte[] f32 = Riff(("fmt ", Fmt(Float, 1, 16000, 32)), ("data", Float32(0.5f, -1f, 1f, 0f)));
        Assert.Equal([16384f, -32768f, 32768f, 0f], WavReader.DecodeMono(f32, 16000));
        byte[] f64 = Riff(("fmt ", Fmt(Float, 1, 16000, 64)), ("data", Float64(0.25, -0.5)));
        Assert.Equal([8192f, -16384f], WavReader.DecodeMono(f64, 16000));
    }

    [Fact]
    public void ExtensiblePcm24In32BitContainerAndExtensibleFloat()
    {
        // 24 valid bits left-justified in a 32-bit container: read the container.
        byte[] pcm = Riff(("fmt ", FmtExtensible(Pcm, 1, 16000, 32, 24)), ("data", Int32(0x7FFFFF00, -0x80000000, 0x00010000)));
        Assert.Equal([32767.996f, -32768f, 1f], WavReader.DecodeMono(pcm, 16000));
        byte[] pcm24 = Riff(("fmt ", FmtExtensible(Pcm, 1, 16000, 24, 24)), ("data", Int24(256, -512)));
        Assert.Equal([1f, -2f], WavReader.DecodeMono(pcm24, 16000));
        byte[] flt = Riff(("fmt ", FmtExtensible(Float, 1, 16000, 32, 32)), ("data", Float32(0.5f)));
        Assert.Equal([16384f], WavReader.DecodeMono(flt, 16000));
        Assert.Equal(WavSampleEncoding.IeeeFloat, WavReader.Parse(flt).Encoding);
    }

    [Fact]
    public void StereoAndMultichannelAreAveragedToMono()
    {
        byte[] stereo = Riff(("fmt ", Fmt(Pcm, 2, 16000, 16)), ("data", Int16(1000, -200, 10, 20)));
        Assert.Equal([400f, 15f], WavReader.DecodeMono(stereo, 16000));
        byte[] six = Riff(("fmt ", FmtExtensible(Float, 6, 16000, 32, 32)), ("data", Float32(0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f)));
        Assert.Equal(3276.8f, WavReader.DecodeMono(six, 16000)[0], 0.01f);
    }

    [Fact]
    public void UnknownChunksAndOddPaddingAreSkipped()
    {
        byte[] list = "LIST\u0001abc"u8.ToArray(); // 8 bytes of junk
        byte[] odd = [1, 2, 3];                   // odd size: padded
        byte[] wav = Riff(("JUNK", odd), ("fmt ", Fmt(Pcm, 1, 16000, 16)), ("LIST", list), ("fact", [4, 0, 0, 0]), ("data", Int16(7, 8)), ("id3 ", odd));
        Assert.Equal([7f, 8f], WavReader.DecodeMono(wav, 16000));

        // A writer that forgot the pad byte after an odd chunk is tolerated.
        byte[] unpadded = Riff(false, ("JUNK", odd), ("fmt ", Fmt(Pcm, 1, 16000, 16)), ("data", Int16(5)));
        Assert.Equal([5f], WavReader.DecodeMono(unpadded, 16000));

        // data before fmt is fine too.
        byte[] reversed = Riff(("data", Int16(9, 10)), ("fmt ", Fmt(Pcm, 1, 16000, 16)));
        Assert.Equal([9f, 10f], WavReader.DecodeMono(reversed, 16000));
    }

    [Fact]
    public void StreamingDataSizeMeansToEndAndPartialFramesAreDropped()
    {
        byte[] wav = Riff(("fmt ", Fmt(Pcm, 2, 16000, 16)), ("data", Int16(1, 3, 5, 7, 9)));
        // 10 bytes of stereo 16-bit = 2 whole frames + 2 bytes
        Assert.Equal([2f, 6f], WavReader.DecodeMono(wav, 16000));
        int dataSizeAt = wav.Length - 10 - 4;
        BinaryPrimitives.WriteUInt32LittleEndian(wav.AsSpan(dataSizeAt), uint.MaxValue);
        Assert.Equal([2f, 6f], WavReader.DecodeMono(wav, 16000));
    }

    [Fact]
    public void ReadMonoReadsFilesAndWrapsMissingOnes()
    {
        string dir = Directory.CreateTempSubdirectory("edgecl-wav-").FullName;
        try
        {
            string path = Path.Combine(dir, "a.wav");
            WavWriter.WriteMono16(path, [1f, 2f, 3f], 16000);
            Assert.Equal([1f, 2f, 3f], WavReader.ReadMono(path, 16000));
            var ex = Assert.Throws<InputFormatException>(() => WavReader.ReadMono(Path.Combine(dir, "missing.wav"), 16000));
            Assert.Contains("missing.wav", ex.Message);
            AssertOneLine(ex);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    public static TheoryData<string, byte[], string> BadFiles()
    {
        byte[] good = Riff(("fmt ", Fmt(Pcm, 1, 16000, 16)), ("data", Int16(1, 2, 3, 4)));
        byte[] truncated = good[..^3];
        byte[] garbage = new byte[200];
        new Random(3).NextBytes(garbage);
        byte[] riffSizeOnly = [.. "RIFF"u8, 4, 0, 0, 0, .. "WAVE"u8];
        byte[] truncatedFmt = good[..30];
        var data = new TheoryData<string, byte[], string>
        {
            { "empty", [], "empty" },
            { "tiny", [0x52, 0x49], "too short" },
            { "garbage", garbage, "not a WAV" },
            { "text", "hello, this is not audio at all"u8.ToArray(), "not a WAV" },
            { "header only", riffSizeOnly, "no fmt" },
            { "truncated data", truncated, "truncated" },
            { "truncated fmt", truncatedFmt, "truncated" },
            { "no data", Riff(("fmt ", Fmt(Pcm, 1, 16000, 16))), "no data" },
            { "no fmt", Riff(("data", Int16(1))), "no fmt" },
            { "empty data", Riff(("fmt ", Fmt(Pcm, 1, 16000, 16)), ("data", [])), "no audio" },
            { "half a frame", Riff(("fmt ", Fmt(Pcm, 1, 16000, 16)), ("data", [1])), "less than one frame" },
            { "zero channels", Riff(("fmt ", Fmt(Pcm, 0, 16000, 16, 2)), ("data", Int16(1))), "channels" },
            { "zero rate", Riff(("fmt ", Fmt(Pcm, 1, 0, 16)), ("data", Int16(1))), "sample rate" },
            { "absurd rate", Riff(("fmt ", Fmt(Pcm, 1, -5, 16)), ("data", Int16(1))), "4294967291 Hz" },
            { "12-bit", Riff(("fmt ", Fmt(Pcm, 1, 16000, 12, 2)), ("data", Int16(1))), "12-bit" },
            { "16-bit float", Riff(("fmt ", Fmt(Float, 1, 16000, 16)), ("data", Int16(1))), "16-bit float" },
            { "adpcm", Riff(("fmt ", Fmt(2, 1, 16000, 4, 256)), ("data", new byte[256])), "MS ADPCM" },
            { "block align", Riff(("fmt ", Fmt(Pcm, 2, 16000, 16, 2)), ("data", Int16(1, 2))), "bytes per frame" },
            { "short fmt", Riff(("fmt ", new byte[10]), ("data", Int16(1))), "fmt chunk of 10 bytes" },
            { "bad extensible", Riff(("fmt ", FmtExtensible(Pcm, 1, 16000, 16, 16)[..20]), ("data", Int16(1))), "EXTENSIBLE" },
            { "rifx", [.. "RIFX"u8, .. good[4..]], "big-endian" },
            { "nan", Riff(("fmt ", Fmt(Float, 1, 16000, 32)), ("data", Float32(0f, float.NaN))), "NaN" },
        };
        byte[] oversizedChunk = Riff(("JUNK", new byte[4]), ("fmt ", Fmt(Pcm, 1, 16000, 16)), ("data", Int16(1)));
        BinaryPrimitives.WriteUInt32LittleEndian(oversizedChunk.AsSpan(16), 1_000_000);
        data.Add("oversized chunk", oversizedChunk, "'JUNK' chunk declares 1000000 bytes");
        return data;
    }

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void MalformedFilesRaiseInputFormatException(string name, byte[] wav, string expected)
    {
        var ex = Assert.Throws<InputFormatException>(() => WavReader.DecodeMono(wav, 16000, name + ".wav"));
        Assert.Contains(expected, ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(name + ".wav", ex.Message);
        AssertOneLine(ex);
    }

    [Fact]
    public void RandomBytesNeverEscapeAsOtherExceptions()
    {
        // Fuzz: mutate a valid file; every failure must be InputFormatException (never IndexOutOfRange etc.).
        byte[] good = Riff(("LIST", new byte[6]), ("fmt ", FmtExtensible(Pcm, 2, 44100, 24, 24)), ("data", Int24(1, 2, 3, 4, 5, 6)));
        var rng = new Random(11);
        for (int trial = 0; trial < 5000; trial++)
        {
            byte[] b = (byte[])good.Clone();
            int flips = rng.Next(1, 4);
            for (int i = 0; i < flips; i++)
                b[rng.Next(b.Length)] = (byte)rng.Next(256);
            if (rng.Next(4) == 0)
                b = b[..rng.Next(b.Length)];
            try
            {
                WavReader.DecodeMono(b, 16000);
            }
            catch (InputFormatException)
            {
            }
        }
    }

    [Fact]
    public void Resample44100To16000KeepsFrequencyAndAmplitude()
    {
        float[] x = Sine(44100, 1000, 1.0, 10000);
        byte[] wav = WavWriter.EncodeMono16(x, 44100);
        float[] y = WavReader.DecodeMono(wav, 16000);
        Assert.Equal(16000, y.Length);
        ReadOnlySpan<float> mid = y.AsSpan(2000, 12000); // away from the zero-padded edges
        double a1000 = AmplitudeAt(mid, 16000, 1000);
        Assert.InRange(a1000, 10000 * 0.999, 10000 * 1.001);
        // All the energy is at 1 kHz: the residual after removing the fitted sine is below −80 dB.
        Assert.InRange(ResidualRms(mid, 16000, 1000) / (10000 / Math.Sqrt(2)), 0, 1e-4);
        // Zero crossings: 1000 Hz over 0.75 s = 1500 ± 2 crossings... counted as sign changes: 2 per period.
        int crossings = 0;
        for (int i = 1; i < mid.Length; i++)
            if ((mid[i - 1] < 0) != (mid[i] < 0))
                crossings++;
        Assert.InRange(crossings, 1498, 1502);
    }

    [Theory]
    [InlineData(44100, 16000, 6600, 0.0005)]   // top of the passband (0.825 × Nyquist): within 0.005 dB
    [InlineData(48000, 16000, 3000, 0.0005)]
    [InlineData(8000, 16000, 1000, 0.0005)]    // upsampling
    [InlineData(22050, 16000, 250, 0.0005)]
    [InlineData(11025, 16000, 4000, 0.0005)]
    public void ResamplerPassbandIsFlat(int from, int to, double hz, double tolerance)
    {
        float[] x = Sine(from, hz, 1.0, 10000);
        float[] y = new float[Resampler.OutputLength(x.Length, from, to)];
        Resampler.Resample(x, from, to, y);
        Assert.Equal(to, y.Length);
        double a = AmplitudeAt(y.AsSpan(to / 8, to * 3 / 4), to, hz);
        Assert.InRange(a / 10000, 1 - tolerance, 1 + tolerance);
    }

    [Theory]
    [InlineData(44100, 12000)]
    [InlineData(44100, 9000)]
    [InlineData(48000, 15000)]
    public void ResamplerRejectsAliases(int from, double hz)
    {
        // Tones above the 8 kHz output Nyquist must vanish (−80 dB), not fold back into the band.
        float[] x = Sine(from, hz, 1.0, 10000);
        float[] y = new float[Resampler.OutputLength(x.Length, from, 16000)];
        Resampler.Resample(x, from, 16000, y);
        double rms = Rms(y.AsSpan(2000, 12000));
        Assert.InRange(rms / (10000 / Math.Sqrt(2)), 0, 1e-4);
    }

    [Fact]
    public void ResamplerIsIdentityAtEqualRatesAndHandlesEmpty()
    {
        float[] x = Noise(100, 1000, 1);
        float[] y = new float[100];
        Resampler.Resample(x, 16000, 16000, y);
        Assert.Equal(x, y);
        Assert.Equal(0, Resampler.OutputLength(0, 44100, 16000));
        Resampler.Resample([], 44100, 16000, []);
        Assert.Equal(441, Resampler.OutputLength(160, 16000, 44100));
    }

    [Fact]
    public void DcIsPreservedWhenDownsampling()
    {
        float[] x = new float[44100];
        Array.Fill(x, 1000f);
        float[] y = WavReader.DecodeMono(WavWriter.EncodeMono16(x, 44100), 16000);
        for (int i = 1000; i < 15000; i++)
            Assert.InRange(y[i], 999.9f, 1000.1f);
    }

    /// <summary>RMS left after removing the least-squares sine at <paramref name="hz"/> (and DC).</summary>
    private static double ResidualRms(ReadOnlySpan<float> x, int rate, double hz)
    {
        double cc = 0, ss = 0, cs = 0, xc = 0, xs = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double ph = 2 * Math.PI * hz * i / rate, c = Math.Cos(ph), s = Math.Sin(ph);
            cc += c * c; ss += s * s; cs += c * s; xc += x[i] * c; xs += x[i] * s;
        }
        double det = cc * ss - cs * cs;
        double a = (xc * ss - xs * cs) / det, b = (xs * cc - xc * cs) / det;
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double ph = 2 * Math.PI * hz * i / rate;
            double r = x[i] - a * Math.Cos(ph) - b * Math.Sin(ph);
            sum += r * r;
        }
        return Math.Sqrt(sum / x.Length);
    }

    private static void AssertOneLine(Exception ex)
    {
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void ReadMono_LongRecording_RefusedFromTheHeaderWithoutReadingIt()
    {
        string dir = Directory.CreateTempSubdirectory("edgecl-wav-").FullName;
        try
        {
            // A 30-minute 16 kHz mono recording (57.6 MB); the file is sparse, so it costs no disk.
            string path = Path.Combine(dir, "meeting.wav");
            int frames = 16000 * 60 * 30;
            byte[] header = Riff(("fmt ", Fmt(Pcm, 1, 16000, 16)), ("data", []));
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(header.Length - 4), (uint)(frames * 2));
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), (uint)(header.Length - 8 + frames * 2));
            using (var f = new FileStream(path, FileMode.CreateNew))
            {
                f.Write(header);
                f.SetLength(header.Length + (long)frames * 2);
            }
            long before = GC.GetAllocatedBytesForCurrentThread();
            var ex = Assert.Throws<InputFormatException>(() => WavReader.ReadMono(path, 16000, maxSeconds: 60));
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "the audio was read before refusing");
            Assert.Contains("1800 s of audio, over the 60 s limit", ex.Message);
            AssertOneLine(ex);

            // Without a limit the same reader still reads it, data chunk only, and agrees with the in-memory decoder.
            string small = Path.Combine(dir, "small.wav");
            byte[] wav = Riff(("LIST", new byte[70_000]), ("fmt ", Fmt(Pcm, 2, 16000, 16)), ("data", Int16(1, 3, 5, 7)), ("id3 ", [1, 2, 3]));
            File.WriteAllBytes(small, wav);
            Assert.Equal(WavReader.DecodeMono(wav, 16000), WavReader.ReadMono(small, 16000));
            byte[] tiny = Riff(("fmt ", Fmt(Pcm, 1, 8000, 16)), ("data", Int16(100, 200, 300, 400)));
            File.WriteAllBytes(small, tiny);
            Assert.Equal(WavReader.DecodeMono(tiny, 16000), WavReader.ReadMono(small, 16000, maxSeconds: 1));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
