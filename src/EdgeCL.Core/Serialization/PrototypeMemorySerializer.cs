using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using EdgeCL.Core.Errors;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Serialization;

/// <summary>
/// Versioned binary format of a <see cref="PrototypeMemory"/>: header, classes, tombstones, CRC-32.
/// </summary>
/// <remarks>
/// Layout (little-endian): "ECLS" · u16 format version (1) · u16 reserved · u8 id length · id (ASCII) · i32 dimension ·
/// u8 metric · u8 centring · f32 temperature · i32 classes · i32 tombstones · [f32×d supplied centre] ·
/// classes { u16 label bytes · UTF-8 label · i64 count · i64 version · f32×d mean } ·
/// tombstones { u16 label bytes · UTF-8 label · i64 version } · u32 CRC-32 of everything before it.
/// The reader checks every length against the remaining bytes before it allocates, so a forged or truncated blob
/// can only produce a <see cref="StateFormatException"/>.
/// </remarks>
public static class PrototypeMemorySerializer
{
    private static ReadOnlySpan<byte> Magic => "ECLS"u8;
    private const ushort FormatVersion = 1;

    /// <summary>Serialises the memory.</summary>
    public static byte[] Serialize(PrototypeMemory memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        int d = memory.Dimension;
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(FormatVersion);
            w.Write((ushort)0);
            byte[] id = Encoding.ASCII.GetBytes(memory.Space.Id);
            w.Write((byte)id.Length);
            w.Write(id);
            w.Write(d);
            w.Write((byte)memory.Options.Metric);
            w.Write((byte)memory.Options.Centring);
            w.Write(memory.Options.Temperature);
            w.Write(memory.ClassCount);
            w.Write(memory.Tombstones.Count);
            if (memory.Options.Centring == CentringMode.Supplied)
                w.Write(MemoryMarshal.AsBytes(memory.Centre));
            for (int c = 0; c < memory.ClassCount; c++)
            {
                ClassSummary s = memory.SummaryAt(c);
                WriteLabel(w, s.Label);
                w.Write(s.Count);
                w.Write(s.Version);
                w.Write(MemoryMarshal.AsBytes(memory.MeanAt(c)));
            }
            foreach (var (label, version) in memory.Tombstones.OrderBy(t => t.Key, StringComparer.Ordinal))
            {
                WriteLabel(w, label);
                w.Write(version);
            }
        }
        uint crc = Crc32.Compute(stream.GetBuffer().AsSpan(0, (int)stream.Length));
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(tail, crc);
        stream.Write(tail);
        return stream.ToArray();
    }

    /// <summary>Reads a memory back; <paramref name="expectedSpace"/>, when given, must match the stored space.</summary>
    /// <param name="data">The serialised bytes.</param>
    /// <param name="expectedSpace">The space of the backbone in use, or null to accept the stored one.</param>
    /// <param name="maxClasses">Upper bound on classes accepted (guards memory use).</param>
    /// <exception cref="StateFormatException">Truncated, corrupt, unknown version, or inconsistent content.</exception>
    /// <exception cref="EmbeddingException">The state belongs to another embedding space.</exception>
    public static PrototypeMemory Deserialize(ReadOnlySpan<byte> data, EmbeddingSpace? expectedSpace = null, int maxClasses = 1_000_000)
    {
        if (data.Length < 4 + 4 + 4)
            throw new StateFormatException($"Prototype state is truncated ({data.Length} bytes); restore it from a backup or start a new state.");
        if (!data[..4].SequenceEqual(Magic))
            throw new StateFormatException("Prototype state does not start with 'ECLS'; this is not an EdgeCL state file.");
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(data[^4..]);
        uint actual = Crc32.Compute(data[..^4]);
        var r = new SpanReader(data[..^4]);
        r.Skip(4);
        ushort version = r.U16();
        if (version != FormatVersion)
            throw new StateFormatException($"Prototype state has format version {version}; this build reads version {FormatVersion}: upgrade edgecl.");
        if (stored != actual)
            throw new StateFormatException("Prototype state failed its CRC check (torn write or corruption); restore it from a backup or start a new state.");
        r.U16();
        int idLength = r.U8();
        string id = Encoding.ASCII.GetString(r.Bytes(idLength));
        int d = r.I32();
        var metric = (SimilarityMetric)r.U8();
        var centring = (CentringMode)r.U8();
        float temperature = r.F32();
        int classes = r.I32();
        int tombstones = r.I32();
        var space = new EmbeddingSpace(id, d);
        var options = new PrototypeMemoryOptions { Metric = metric, Centring = centring, Temperature = temperature, MaxClasses = Math.Max(16, maxClasses) };
        try
        {
            space.Validate();
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new StateFormatException($"Prototype state header is invalid: {ex.Message}");
        }
        if (classes < 0 || classes > maxClasses || tombstones < 0 || tombstones > 10_000_000)
            throw new StateFormatException($"Prototype state claims {classes} classes and {tombstones} tombstones; the file is corrupt.");
        expectedSpace?.EnsureSame(space, "The state file");
        // Every class needs at least 2 + 16 + 4d bytes: reject impossible counts before allocating.
        if ((long)classes * (2 + 16 + 4L * d) > r.Remaining)
            throw new StateFormatException("Prototype state is truncated: it claims more classes than it holds.");

        var memory = new PrototypeMemory(space, options);
        try
        {
            if (centring == CentringMode.Supplied)
                memory.SetCentre(MemoryMarshal.Cast<byte, float>(r.Bytes(4 * d)));
            for (int c = 0; c < classes; c++)
            {
                string label = ReadLabel(ref r);
                long count = r.I64();
                long classVersion = r.I64();
                ReadOnlySpan<float> mean = MemoryMarshal.Cast<byte, float>(r.Bytes(4 * d));
                memory.Restore(label, count, classVersion, mean);
            }
            for (int t = 0; t < tombstones; t++)
            {
                string label = ReadLabel(ref r);
                memory.RestoreTombstone(label, r.I64());
            }
        }
        catch (ArgumentException ex)
        {
            throw new StateFormatException($"Prototype state content is invalid: {ex.Message}");
        }
        if (r.Remaining != 0)
            throw new StateFormatException($"Prototype state has {r.Remaining} unexpected trailing bytes; the file is corrupt.");
        return memory;
    }

    private static void WriteLabel(BinaryWriter w, string label)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(label);
        w.Write((ushort)bytes.Length);
        w.Write(bytes);
    }

    private static string ReadLabel(ref SpanReader r) => r.Utf8("Prototype state");
}
