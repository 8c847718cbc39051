using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
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
        byte[] source = Encoding.ASCII.GetBytes(Source.Id), target = Encoding.ASCII.GetBytes(Target.Id);
        int bodyLength = 4 + 1 + (1 + source.Length + 4) + (1 + target.Length + 4) + 4 + 4 * (_sourceRows.Length + _targetRows.Length);
        var bytes = new byte[bodyLength + HashLength];
        var writer = new SpanCursor(bytes.AsSpan());
        writer.UInt32(Magic);
        writer.Byte(Version);
        writer.Space(source, Source.Dimension);
        writer.Space(target, Target.Dimension);
        writer.Int32(Count);
        writer.Floats(_sourceRows);
        writer.Floats(_targetRows);
        SHA256.HashData(bytes.AsSpan(0, bodyLength), bytes.AsSpan(bodyLength));
        return bytes;
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
        var reader = new SpanCursor(body[5..]);
        try
        {
            EmbeddingSpace source = reader.Space(), target = reader.Space();
            int count = reader.Int32();
            if (count < 2 || count > MaxPairs)
                throw new RolloutException($"The calibration file claims {count} pairs; a file holds 2..{MaxPairs}.");
            float[] sourceRows = reader.Floats(checked(count * source.Dimension));
            float[] targetRows = reader.Floats(checked(count * target.Dimension));
            if (!reader.AtEnd)
                throw new RolloutException("The calibration file has bytes after its pairs; make it again with 'edgecl rollout calibrate'.");
            Validate(source, target, sourceRows, targetRows);
            return new CalibrationPairs(source, target, sourceRows, targetRows);
        }
        catch (Exception ex) when (ex is not RolloutException and (ArgumentException or OverflowException))
        {
            throw new RolloutException($"The calibration file is inconsistent ({Errors.ErrorText.OneLine(ex)}); make it again with 'edgecl rollout calibrate'.");
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

    /// <summary>Little-endian reads and writes over one buffer; a read past the end is a one-line RolloutException.</summary>
    private ref struct SpanCursor
    {
        private readonly Span<byte> _write;
        private readonly ReadOnlySpan<byte> _read;
        private int _at;

        public SpanCursor(Span<byte> buffer)
        {
            _write = buffer;
            _read = buffer;
        }

        public SpanCursor(ReadOnlySpan<byte> buffer) => _read = buffer;

        public readonly bool AtEnd => _at == _read.Length;

        public void Byte(byte value) => _write[_at++] = value;

        public void UInt32(uint value)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(_write[_at..], value);
            _at += 4;
        }

        public void Int32(int value)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_write[_at..], value);
            _at += 4;
        }

        public void Space(byte[] id, int dimension)
        {
            Byte((byte)id.Length);
            id.CopyTo(_write[_at..]);
            _at += id.Length;
            Int32(dimension);
        }

        public void Floats(ReadOnlySpan<float> values)
        {
            foreach (float value in values)
            {
                BinaryPrimitives.WriteSingleLittleEndian(_write[_at..], value);
                _at += 4;
            }
        }

        public int Int32()
        {
            int value = BinaryPrimitives.ReadInt32LittleEndian(Take(4));
            return value;
        }

        public EmbeddingSpace Space()
        {
            int length = Take(1)[0];
            string id = Encoding.ASCII.GetString(Take(length));
            var space = new EmbeddingSpace(id, Int32());
            space.Validate();
            return space;
        }

        public float[] Floats(int count)
        {
            if (count < 0 || (long)count * 4 > _read.Length - _at)
                throw new RolloutException($"The calibration file ends early: {count} values do not fit in the {_read.Length - _at} bytes left; make it again with 'edgecl rollout calibrate'.");
            var values = new float[count];
            if (BitConverter.IsLittleEndian)
                MemoryMarshal.Cast<byte, float>(Take(count * 4)).CopyTo(values);
            else
                for (int i = 0; i < count; i++)
                    values[i] = BinaryPrimitives.ReadSingleLittleEndian(Take(4));
            return values;
        }

        private ReadOnlySpan<byte> Take(int length)
        {
            if (length > _read.Length - _at)
                throw new RolloutException($"The calibration file ends {length - (_read.Length - _at)} bytes early; make it again with 'edgecl rollout calibrate'.");
            ReadOnlySpan<byte> slice = _read.Slice(_at, length);
            _at += length;
            return slice;
        }
    }
}
