using System.Buffers.Binary;
using System.Globalization;
using EdgeCL.Core.Vectors;
using EdgeCL.Onnx.Errors;

namespace EdgeCL.Onnx.Audio;

/// <summary>
/// Reads RIFF/WAVE files into mono float samples at int16 scale (±32768), resampled to a target rate.
/// </summary>
/// <remarks>
/// <para>Accepted: integer PCM 8 (unsigned), 16, 24 and 32 bit; IEEE float 32 and 64 bit; the plain
/// (<c>WAVE_FORMAT_PCM</c>/<c>WAVE_FORMAT_IEEE_FLOAT</c>) and <c>WAVE_FORMAT_EXTENSIBLE</c> headers; any number of
/// channels up to <see cref="MaxChannels"/> (averaged to mono); any rate in
/// <see cref="MinSampleRate"/>..<see cref="MaxSampleRate"/> (resampled with <see cref="Resampler"/>).
/// Unknown chunks (LIST, fact, cue, bext, …) are skipped, odd-sized chunks honour the RIFF pad byte (and tolerate
/// writers that omit it), and a data size of 0xFFFFFFFF (a stream that was never finalised) means "to the end of
/// the file".</para>
/// <para>Output is int16-scale, not normalised to [−1, 1]: the openWakeWord mel model was trained on int16 values
/// cast to float (feasibility.md §2; the npm port's [−1, 1] scaling shifts every mel bin by −9.03).</para>
/// <para>Every malformed input raises <see cref="InputFormatException"/> with one line naming the problem and the
/// fix; nothing is trusted from the header before it is checked against the file length.</para>
/// </remarks>
public static class WavReader
{
    /// <summary>Largest file <see cref="ReadMono"/> reads (256 MiB: over two hours of 16 kHz 16-bit stereo).</summary>
    public const long MaxFileBytes = 256L << 20;

    /// <summary>Lowest sample rate accepted.</summary>
    public const int MinSampleRate = 1000;

    /// <summary>Highest sample rate accepted.</summary>
    public const int MaxSampleRate = 768_000;

    /// <summary>Most channels accepted.</summary>
    public const int MaxChannels = 64;

    private const ushort FormatPcm = 0x0001;
    private const ushort FormatFloat = 0x0003;
    private const ushort FormatExtensible = 0xFFFE;
    private const string Convert = "convert it with: sox in.wav -r 16000 -c 1 -b 16 out.wav";

    /// <summary>Reads a WAV file and returns its mono samples at <paramref name="targetSampleRate"/>, int16 scale.</summary>
    /// <param name="path">The file.</param>
    /// <param name="targetSampleRate">Output rate; the audio is resampled when the file's rate differs.</param>
    /// <param name="maxSeconds">Longest audio accepted; checked from the header before any sample is read.</param>
    /// <remarks>Only the header and the data chunk are read: the chunk list is walked in the first
    /// <see cref="HeadBytes"/> of the file (the whole file only when its metadata chunks are larger), then the audio is
    /// read with one seek, so a long recording refused by <paramref name="maxSeconds"/> costs a few kilobytes.</remarks>
    /// <exception cref="InputFormatException">The file is missing, unreadable, too large, too long or not a supported WAV.</exception>
    public static float[] ReadMono(string path, int targetSampleRate, double maxSeconds = double.PositiveInfinity)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.None);
            long length = stream.Length;
            if (length > MaxFileBytes)
                throw new InputFormatException(
                    $"WAV file '{path}' is {length} bytes, over the {MaxFileBytes >> 20} MiB limit; cut it into shorter clips (e.g. sox in.wav out.wav trim 0 60).");
            byte[] head = new byte[Math.Min(length, HeadBytes)];
            stream.ReadExactly(head);
            if (ParseCore(head, length, path) is not { } format)
            {
                // Metadata chunks larger than the head before the audio: read the whole (size-checked) file.
                byte[] whole = new byte[length];
                stream.Position = 0;
                stream.ReadExactly(whole);
                format = Parse(whole, path);
                EnsureDuration(format, maxSeconds, path);
                return ToMono(whole, format, targetSampleRate, path);
            }
            EnsureDuration(format, maxSeconds, path);
            byte[] data = new byte[format.FrameCount * format.BlockAlign];
            if (format.DataOffset + data.Length <= head.Length)
                head.AsSpan(format.DataOffset, data.Length).CopyTo(data);
            else
            {
                stream.Position = format.DataOffset;
                stream.ReadExactly(data);
            }
            return ToMono(data, format with { DataOffset = 0 }, targetSampleRate, path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InputFormatException($"WAV file '{path}' cannot be read ({ex.Message.Split('\n')[0]}); check the path and permissions.", ex);
        }
    }

    /// <summary>Bytes read first to find the fmt and data chunks (64 KiB: the chunks before the audio in any recorder's file).</summary>
    public const int HeadBytes = 64 << 10;

    private static void EnsureDuration(in WavFormat format, double maxSeconds, string source)
    {
        if (format.DurationSeconds > maxSeconds)
            throw Bad(source, $"holds {format.DurationSeconds:0.#} s of audio, over the {maxSeconds:0.#} s limit for one clip",
                "cut out the part you mean (e.g. sox in.wav out.wav trim 12.5 2)");
    }

    private static float[] ToMono(ReadOnlySpan<byte> wav, in WavFormat format, int targetSampleRate, string source)
    {
        if (targetSampleRate is < MinSampleRate or > MaxSampleRate)
            throw new ArgumentOutOfRangeException(nameof(targetSampleRate), targetSampleRate, $"Target sample rate must be {MinSampleRate}..{MaxSampleRate}.");
        float[] mono = new float[format.FrameCount];
        DecodeMono(wav, format, mono, source);
        if (format.SampleRate == targetSampleRate)
            return mono;
        float[] resampled = new float[Resampler.OutputLength(mono.Length, format.SampleRate, targetSampleRate)];
        Resampler.Resample(mono, format.SampleRate, targetSampleRate, resampled);
        return resampled;
    }

    /// <summary>Decodes WAV bytes to mono samples at <paramref name="targetSampleRate"/>, int16 scale.</summary>
    /// <param name="wav">The whole file.</param>
    /// <param name="targetSampleRate">Output rate; the audio is resampled when the file's rate differs.</param>
    /// <param name="source">Name used in error messages (usually the path).</param>
    /// <exception cref="InputFormatException">The bytes are not a supported WAV.</exception>
    public static float[] DecodeMono(ReadOnlySpan<byte> wav, int targetSampleRate, string source = "WAV data")
    {
        if (targetSampleRate is < MinSampleRate or > MaxSampleRate)
            throw new ArgumentOutOfRangeException(nameof(targetSampleRate), targetSampleRate, $"Target sample rate must be {MinSampleRate}..{MaxSampleRate}.");
        return ToMono(wav, Parse(wav, source), targetSampleRate, source);
    }

    /// <summary>Decodes the frames of a parsed WAV into mono int16-scale samples at the file's own rate.</summary>
    /// <param name="wav">The whole file, as given to <see cref="Parse"/>.</param>
    /// <param name="format">The result of <see cref="Parse"/> on the same bytes.</param>
    /// <param name="destination">At least <see cref="WavFormat.FrameCount"/> floats; the first FrameCount are written.</param>
    /// <param name="source">Name used in error messages.</param>
    /// <exception cref="InputFormatException">Float samples are NaN or infinite.</exception>
    public static void DecodeMono(ReadOnlySpan<byte> wav, in WavFormat format, Span<float> destination, string source = "WAV data")
    {
        int frames = format.FrameCount, channels = format.Channels, align = format.BlockAlign, bytes = format.BitsPerSample / 8;
        if (destination.Length < frames)
            throw new ArgumentException($"Destination holds {destination.Length} samples but the file has {frames} frames.", nameof(destination));
        if ((long)format.DataOffset + (long)frames * align > wav.Length)
            throw new ArgumentException("The format does not belong to these bytes (data runs past the end).", nameof(format));
        ReadOnlySpan<byte> data = wav.Slice(format.DataOffset, frames * align);
        float inv = 1f / channels;
        for (int f = 0; f < frames; f++)
        {
            ReadOnlySpan<byte> frame = data.Slice(f * align, channels * bytes);
            float sum = 0f;
            for (int c = 0; c < channels; c++)
                sum += ReadSample(frame.Slice(c * bytes, bytes), format.Encoding);
            destination[f] = channels == 1 ? sum : sum * inv;
        }
        if (format.Encoding == WavSampleEncoding.IeeeFloat && !VectorKernels.AllFinite(destination[..frames]))
            throw new InputFormatException(
                $"WAV file '{source}' contains NaN or infinite float samples at frame {VectorKernels.IndexOfNonFinite(destination[..frames])}; the file is corrupt: re-export it.");
    }

    /// <summary>Parses and validates the header and chunk list.</summary>
    /// <exception cref="InputFormatException">Not RIFF/WAVE, truncated, no fmt or data chunk, unsupported or absurd format, or no audio.</exception>
    public static WavFormat Parse(ReadOnlySpan<byte> wav, string source = "WAV data") =>
        ParseCore(wav, wav.Length, source) ?? throw new InvalidOperationException("A whole file never needs more bytes.");

    /// <summary>Parses the chunk list from <paramref name="wav"/>, the first bytes of a file of <paramref name="fileLength"/> bytes;
    /// null when a chunk header needed before the audio lies beyond those bytes.</summary>
    private static WavFormat? ParseCore(ReadOnlySpan<byte> wav, long fileLength, string source)
    {
        if (wav.Length == 0)
            throw Bad(source, "is empty (0 bytes)", "record or export the clip again");
        if (wav.Length < 12)
            throw Bad(source, $"is only {wav.Length} bytes, too short for a RIFF/WAVE header", "the file is truncated: export it again");
        ReadOnlySpan<byte> riff = wav[..4];
        if (riff.SequenceEqual("RIFX"u8))
            throw Bad(source, "is a big-endian RIFX file, which is not supported", Convert);
        if (riff.SequenceEqual("RF64"u8))
            throw Bad(source, "is an RF64 (64-bit) WAV, which is not supported", Convert);
        if (!riff.SequenceEqual("RIFF"u8) || !wav.Slice(8, 4).SequenceEqual("WAVE"u8))
            throw Bad(source, "is not a WAV file (no RIFF/WAVE header)", Convert);

        bool haveFmt = false;
        int dataOffset = -1, dataLength = 0;
        ushort tag = 0, channels = 0, blockAlign = 0, bits = 0;
        int rate = 0;
        int pos = 12;
        while (pos <= fileLength - 8)
        {
            if (pos > wav.Length - 8)
                return null;
            ReadOnlySpan<byte> id = wav.Slice(pos, 4);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(wav.Slice(pos + 4, 4));
            int body = pos + 8;
            long available = fileLength - body;
            if (id.SequenceEqual("data"u8))
            {
                if (dataOffset >= 0)
                    break; // a second data chunk is not valid RIFF/WAVE; the first one is the audio
                if (size == uint.MaxValue)
                {
                    // Streaming writers leave the size at 0xFFFFFFFF until they finish: take the rest of the file.
                    dataOffset = body;
                    dataLength = (int)available;
                    break;
                }
                if (size > available)
                    throw Bad(source, $"is truncated: its data chunk declares {size} bytes but only {available} follow", "the file was cut short: export it again");
                dataOffset = body;
                dataLength = (int)size;
                if (haveFmt)
                    break; // everything needed is known; the audio itself need not be walked over
            }
            else if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16)
                    throw Bad(source, $"has a fmt chunk of {size} bytes (at least 16 expected)", Convert);
                if (size > available)
                    throw Bad(source, "is truncated inside its fmt chunk", "the file was cut short: export it again");
                if (body + size > wav.Length)
                    return null;
                ReadOnlySpan<byte> fmt = wav.Slice(body, (int)size);
                tag = BinaryPrimitives.ReadUInt16LittleEndian(fmt);
                channels = BinaryPrimitives.ReadUInt16LittleEndian(fmt[2..]);
                rate = BinaryPrimitives.ReadInt32LittleEndian(fmt[4..]); // negative when the uint is absurd; checked below
                blockAlign = BinaryPrimitives.ReadUInt16LittleEndian(fmt[12..]);
                bits = BinaryPrimitives.ReadUInt16LittleEndian(fmt[14..]);
                if (tag == FormatExtensible)
                    tag = ReadExtensibleSubFormat(fmt, source);
                haveFmt = true;
                if (dataOffset >= 0)
                    break;
            }
            else if (size > available)
            {
                throw Bad(source, $"is truncated: its '{AsciiId(id)}' chunk declares {size} bytes but only {available} follow", "the file was cut short: export it again");
            }
            long next = NextChunk(wav, fileLength, body, size);
            if (next == NeedMoreBytes)
                return null;
            if (next < 0)
                break;
            pos = (int)next;
        }

        if (!haveFmt)
            throw Bad(source, "has no fmt chunk", "the file is truncated or not a WAV: " + Convert);
        if (dataOffset < 0)
            throw Bad(source, "has no data chunk", "the file is truncated or not a WAV: " + Convert);

        WavSampleEncoding encoding = tag switch
        {
            FormatPcm => WavSampleEncoding.PcmInteger,
            FormatFloat => WavSampleEncoding.IeeeFloat,
            _ => throw Bad(source, $"uses format tag 0x{tag:X4} ({TagName(tag)}); only PCM and IEEE float are supported", Convert),
        };
        bool bitsOk = encoding == WavSampleEncoding.PcmInteger ? bits is 8 or 16 or 24 or 32 : bits is 32 or 64;
        if (!bitsOk)
            throw Bad(source, $"has {bits}-bit {(encoding == WavSampleEncoding.PcmInteger ? "integer" : "float")} samples; supported: 8/16/24/32-bit integer and 32/64-bit float", Convert);
        if (channels is 0 or > MaxChannels)
            throw Bad(source, $"declares {channels} channels (1..{MaxChannels} supported)", "the header is corrupt: " + Convert);
        if (rate is < MinSampleRate or > MaxSampleRate)
            throw Bad(source, $"declares a sample rate of {(uint)rate} Hz ({MinSampleRate}..{MaxSampleRate} supported)", "the header is corrupt: " + Convert);
        int minAlign = channels * (bits / 8);
        if (blockAlign < minAlign)
            throw Bad(source, $"declares {blockAlign} bytes per frame but {channels} × {bits}-bit samples need {minAlign}", "the header is corrupt: " + Convert);
        int frames = dataLength / blockAlign; // a trailing partial frame is dropped
        if (frames == 0)
            throw Bad(source, dataLength == 0 ? "contains no audio (empty data chunk)" : $"contains less than one frame of audio ({dataLength} bytes)",
                "record or export the clip again");
        return new WavFormat(rate, channels, bits, blockAlign, encoding, dataOffset, frames);
    }

    private static float ReadSample(ReadOnlySpan<byte> s, WavSampleEncoding encoding)
    {
        // Integer PCM is mapped to int16 scale: the top 16 bits keep their value, lower bits become fractions.
        if (encoding == WavSampleEncoding.IeeeFloat)
            return s.Length == 4
                ? BinaryPrimitives.ReadSingleLittleEndian(s) * 32768f
                : (float)(BinaryPrimitives.ReadDoubleLittleEndian(s) * 32768.0);
        return s.Length switch
        {
            1 => (s[0] - 128) * 256f,
            2 => BinaryPrimitives.ReadInt16LittleEndian(s),
            3 => ((s[0] << 8) | (s[1] << 16) | (s[2] << 24)) / 65536f, // sign-extend via the top byte
            _ => BinaryPrimitives.ReadInt32LittleEndian(s) / 65536f,
        };
    }

    private static ushort ReadExtensibleSubFormat(ReadOnlySpan<byte> fmt, string source)
    {
        // WAVEFORMATEXTENSIBLE: cbSize (2) ≥ 22, validBits (2), channelMask (4), SubFormat GUID (16) at offset 24.
        // The GUID is {tag}-0000-0010-8000-00AA00389B71 for the classic tags. Samples sit in the container bits
        // (BitsPerSample), left-justified, so reading the container gives the right scale whatever validBits is.
        if (fmt.Length < 40 || BinaryPrimitives.ReadUInt16LittleEndian(fmt[16..]) < 22)
            throw Bad(source, "has a WAVE_FORMAT_EXTENSIBLE header that is too short", Convert);
        ReadOnlySpan<byte> guid = fmt.Slice(24, 16);
        ReadOnlySpan<byte> tail = [0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71];
        uint sub = BinaryPrimitives.ReadUInt32LittleEndian(guid);
        if (!guid[4..].SequenceEqual(tail) || sub > ushort.MaxValue)
            throw Bad(source, "has a WAVE_FORMAT_EXTENSIBLE sub-format that is not PCM or IEEE float", Convert);
        return (ushort)sub;
    }

    private const long NeedMoreBytes = -2;

    /// <summary>Position of the chunk after the one whose body starts at <paramref name="body"/>; −1 at the end,
    /// <see cref="NeedMoreBytes"/> when deciding needs bytes beyond <paramref name="wav"/>.</summary>
    private static long NextChunk(ReadOnlySpan<byte> wav, long fileLength, int body, uint size)
    {
        long next = body + (long)size;
        if ((size & 1) != 0)
        {
            // RIFF pads odd chunks to even length. Some writers omit the pad byte: if the padded position does not
            // start a plausible chunk id but the unpadded one does, trust the unpadded one.
            long padded = next + 1;
            if (padded + 8 <= fileLength && padded + 4 > wav.Length)
                return NeedMoreBytes;
            bool paddedOk = padded + 8 > fileLength || IsChunkId(wav.Slice((int)padded, 4));
            bool unpaddedOk = next + 8 <= fileLength && next + 4 <= wav.Length && IsChunkId(wav.Slice((int)next, 4));
            next = !paddedOk && unpaddedOk ? next : padded;
        }
        return next > fileLength - 8 ? -1 : next;
    }

    private static bool IsChunkId(ReadOnlySpan<byte> id)
    {
        foreach (byte b in id)
            if (b is < 0x20 or > 0x7E)
                return false;
        return true;
    }

    private static string AsciiId(ReadOnlySpan<byte> id)
    {
        Span<char> c = stackalloc char[4];
        for (int i = 0; i < 4; i++)
            c[i] = id[i] is >= 0x20 and <= 0x7E ? (char)id[i] : '?';
        return new string(c);
    }

    private static string TagName(ushort tag) => tag switch
    {
        0x0002 => "MS ADPCM",
        0x0006 => "A-law",
        0x0007 => "mu-law",
        0x0011 => "IMA ADPCM",
        0x0055 => "MP3",
        _ => "compressed or unknown",
    };

    private static InputFormatException Bad(string source, string what, string fix) =>
        new(string.Create(CultureInfo.InvariantCulture, $"WAV file '{source}' {what}; {fix}."));
}
