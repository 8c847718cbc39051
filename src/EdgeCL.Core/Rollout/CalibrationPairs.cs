using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using EdgeCL.Core.Errors;
using EdgeCL.Core.Serialization;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Rollout;

/// <summary>
/// Unlabelled inputs embedded by an old and a new backbone: what an operator installs beside a new backbone
/// (<c>edgecl rollout calibrate</c>) so that a device with too few exemplars, or classes it never saw raw, still gets
/// a fitted map at the rollout, and a device with some exemplars a better one (docs/rollout.md).
/// </summary>
/// <remarks>
/// <para>Pairs rather than a fitted map: the device fits on its own exemplars plus these pairs, the "+ calib" maps that
/// measured best at 1 exemplar a class (3.0–4.8 points over the exemplars alone), and a device with none fits on these alone.</para>
/// <para>File format ECCP version 1, little-endian: "ECCP", version byte, then for the source and the target space the
/// id (length byte + ASCII) and dimension (int32), the pair count n (int32), n source rows, n target rows (float32), and
/// SHA-256 of everything before it. The checksum catches a damaged copy; trust comes from whoever installs the backbone
/// beside it, as for the model files.</para>
/// </remarks>
public sealed class CalibrationPairs
{
    /// <summary>File name extension.</summary>
    public const string Extension = ".eccal";

    /// <summary>Most pairs a file may hold (a map needs 8; thousands add little).</summary>
    public const int MaxPairs = 100_000;

    private const uint Magic = 0x50434345; // "ECCP"
    private const byte Version = 1;
    private const int HashLength = 32;

    private readonly float[] _sourceRows;
    private readonly float[] _targetRows;

    private CalibrationPairs(EmbeddingSpace source, EmbeddingSpace target, float[] sourceRows, float[] targetRows)
    {
        Source = source;
        Target = target;
        _sourceRows = sourceRows;
        _targetRows = targetRows;
    }

    /// <summary>The old backbone's space.</summary>
    public EmbeddingSpace Source { get; }

    /// <summary>The new backbone's space.</summary>
    public EmbeddingSpace Target { get; }

    /// <summary>Pairs held.</summary>
    public int Count => _sourceRows.Length / Source.Dimension;

    /// <summary>The inputs in the old space, row-major.</summary>
    public ReadOnlySpan<float> SourceRows => _sourceRows;

    /// <summary>The same inputs in the new space, row-major.</summary>
    public ReadOnlySpan<float> TargetRows => _targetRows;

    /// <summary>The file name a device looks for beside the new backbone: the old space's id.</summary>
    public static string FileNameFor(EmbeddingSpace source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return source.Id + Extension;
    }

    /// <summary>Pairs from rows embedded by both backbones (copied).</summary>
    /// <exception cref="RolloutException">The spaces are the same or invalid, the rows are not whole or not paired, too few or too many, or hold NaN/Inf.</exception>
    public static CalibrationPairs Create(EmbeddingSpace source, EmbeddingSpace target, ReadOnlySpan<float> sourceRows, ReadOnlySpan<float> targetRows)
    {
        Validate(source, target, sourceRows, targetRows);
        return new CalibrationPairs(source, target, sourceRows.ToArray(), targetRows.ToArray());
    }

    /// <summary>The file's bytes.</summary>
    public byte[] Encode()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.ASCII, leaveOpen: true)) // little-endian, as the reader expects
        {
            writer.Write(Magic);
            writer.Write(Version);
            foreach (EmbeddingSpace space in new[] { Source, Target })
            {
                writer.Write((byte)space.Id.Length);
                writer.Write(Encoding.ASCII.GetBytes(space.Id));
                writer.Write(space.Dimension);
            }
            writer.Write(Count);
            foreach (float value in _sourceRows)
                writer.Write(value);
            foreach (float value in _targetRows)
                writer.Write(value);
        }
        int bodyLength = (int)stream.Length;
        stream.Write(SHA256.HashData(stream.GetBuffer().AsSpan(0, bodyLength)));
        return stream.ToArray();
    }

    /// <summary>Reads a file's bytes.</summary>
    /// <exception cref="RolloutException">Not a calibration file, another version, damaged (checksum), truncated or inconsistent: one line.</exception>
    public static CalibrationPairs Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 4 + 1 + HashLength || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic)
            throw new RolloutException("This is not an EdgeCL calibration file (no ECCP header); make it with 'edgecl rollout calibrate'.");
        if (bytes[4] != Version)
            throw new RolloutException($"Calibration file version {bytes[4]} is not supported by this build (it reads version {Version}); make it again with this build's 'edgecl rollout calibrate'.");
        ReadOnlySpan<byte> body = bytes[..^HashLength];
        Span<byte> hash = stackalloc byte[HashLength];
        SHA256.HashData(body, hash);
        if (!hash.SequenceEqual(bytes[^HashLength..]))
            throw new RolloutException("The calibration file is damaged or truncated (checksum mismatch); copy it again from the operator's original.");
        var reader = new SpanReader(body[5..]);
        try
        {
            EmbeddingSpace source = ReadSpace(ref reader), target = ReadSpace(ref reader);
            int count = reader.I32();
            if (count < 2 || count > MaxPairs)
                throw new RolloutException($"The calibration file claims {count} pairs; a file holds 2..{MaxPairs}.");
            float[] sourceRows = ReadFloats(ref reader, checked(count * source.Dimension));
            float[] targetRows = ReadFloats(ref reader, checked(count * target.Dimension));
            if (reader.Remaining != 0)
                throw new RolloutException("The calibration file has bytes after its pairs; make it again with 'edgecl rollout calibrate'.");
            Validate(source, target, sourceRows, targetRows);
            return new CalibrationPairs(source, target, sourceRows, targetRows);
        }
        catch (Exception ex) when (ex is StateFormatException or OverflowException || ex is ArgumentException and not RolloutException)
        {
            throw new RolloutException($"The calibration file is inconsistent ({ErrorText.OneLine(ex)}); make it again with 'edgecl rollout calibrate'.");
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Count} calibration pairs {Source} → {Target}";

    private static void Validate(EmbeddingSpace source, EmbeddingSpace target, ReadOnlySpan<float> sourceRows, ReadOnlySpan<float> targetRows)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        source.Validate();
        target.Validate();
        if (source.Id == target.Id)
            throw new RolloutException($"Calibration pairs need two different spaces, got {source} on both sides.");
        if (sourceRows.Length % source.Dimension != 0 || targetRows.Length % target.Dimension != 0
            || sourceRows.Length / source.Dimension != targetRows.Length / target.Dimension)
            throw new RolloutException(
                $"Calibration rows of {sourceRows.Length} and {targetRows.Length} values are not the same inputs as whole {source.Dimension}-d and {target.Dimension}-d rows.");
        int count = sourceRows.Length / source.Dimension;
        if (count < 2 || count > MaxPairs)
            throw new RolloutException($"Calibration needs 2..{MaxPairs} inputs embedded by both backbones, got {count}.");
        if (!VectorKernels.AllFinite(sourceRows) || !VectorKernels.AllFinite(targetRows))
            throw new RolloutException("Calibration embeddings hold NaN or infinity; check both backbones on the calibration inputs.");
    }

    private static EmbeddingSpace ReadSpace(ref SpanReader reader)
    {
        string id = Encoding.ASCII.GetString(reader.Bytes(reader.U8()));
        var space = new EmbeddingSpace(id, reader.I32());
        space.Validate();
        return space;
    }

    private static float[] ReadFloats(ref SpanReader reader, int count)
    {
        var values = new float[count];
        ReadOnlySpan<byte> raw = reader.Bytes(checked(count * 4));
        for (int i = 0; i < count; i++)
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(i * 4)..]);
        return values;
    }
}
