using EdgeCL.Onnx.Errors;
using Google.Protobuf;
using static Google.Protobuf.WireFormat;

namespace EdgeCL.Onnx.Graph;

/// <summary>
/// ONNX <c>ModelProto</c>, read and written without protoc or reflection. Every field this code does not model
/// (at any depth) is kept byte for byte, so <c>Parse(b).ToByteArray()</c> returns <c>b</c> for canonically written files.
/// </summary>
/// <remarks>training_info (20), functions (25) and newer fields are kept raw. Not thread-safe.</remarks>
public sealed class OnnxModel : IProtoMessage
{
    /// <summary>Field 1 <c>ir_version</c>.</summary>
    public long? IrVersion { get; set; }

    /// <summary>Field 2 <c>producer_name</c>.</summary>
    public string? ProducerName { get; set; }

    /// <summary>Field 3 <c>producer_version</c>.</summary>
    public string? ProducerVersion { get; set; }

    /// <summary>Field 4 <c>domain</c>.</summary>
    public string? Domain { get; set; }

    /// <summary>Field 5 <c>model_version</c>.</summary>
    public long? ModelVersion { get; set; }

    /// <summary>Field 6 <c>doc_string</c>.</summary>
    public string? DocString { get; set; }

    /// <summary>Field 7 <c>graph</c>.</summary>
    public OnnxGraph? Graph { get; set; }

    /// <summary>Field 8 <c>opset_import</c>.</summary>
    public List<OnnxOpset> OpsetImports { get; } = [];

    /// <summary>Field 14 <c>metadata_props</c>.</summary>
    public List<OnnxStringEntry> MetadataProps { get; } = [];

    List<UnknownField>? IProtoMessage.UnknownFields { get; set; }

    /// <summary>Parses a model held in memory.</summary>
    /// <param name="bytes">The .onnx file's bytes.</param>
    /// <param name="source">What to call the model in error messages (usually its path).</param>
    /// <exception cref="ModelLoadException">The bytes are not a well-formed ONNX model; nothing else escapes on bad input.</exception>
    public static OnnxModel Parse(ReadOnlySpan<byte> bytes, string source = "model") => Parse(bytes.ToArray(), source);

    /// <inheritdoc cref="Parse(ReadOnlySpan{byte}, string)"/>
    public static OnnxModel Parse(byte[] bytes, string source = "model")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length == 0)
        {
            throw Invalid(source, "the file is empty", null);
        }
        var reader = new ProtoReader(bytes);
        var model = new OnnxModel();
        try
        {
            reader.ReadRoot(model);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidDataException or OverflowException or ArgumentException)
        {
            string reason = e is InvalidDataException ? e.Message : "truncated or corrupt protobuf";
            throw Invalid(source, $"{reason} near byte {reader.Position}", e);
        }
        // Random bytes can happen to decode as protobuf; a model must at least carry these (ONNX Runtime requires them).
        string? missing = model.IrVersion is null ? "ir_version"
            : model.Graph is null ? "graph"
            : model.OpsetImports.Count == 0 ? "opset_import"
            : null;
        if (missing is not null)
        {
            throw Invalid(source, $"it has no {missing}", null);
        }
        return model;
    }

    /// <summary>Reads and parses a model file.</summary>
    /// <exception cref="ModelLoadException">The file cannot be read or is not a well-formed ONNX model.</exception>
    public static OnnxModel Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ModelLoadException($"'{path}' cannot be read ({e.GetType().Name}); check the path and permissions.", e);
        }
        return Parse(bytes, path);
    }

    /// <summary>Serializes the model (fields in number order, unknown fields where they were read).</summary>
    public byte[] ToByteArray() => ProtoWriter.ToByteArray(this);

    /// <summary>The value of the first metadata entry with this key, or null.</summary>
    public string? GetMetadata(string key) => MetadataProps.Find(e => e.Key == key)?.Value;

    /// <summary>Sets the value of the entry with this key (keeping its position), or appends one.</summary>
    public void SetMetadata(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        OnnxStringEntry? entry = MetadataProps.Find(e => e.Key == key);
        if (entry is null) MetadataProps.Add(new OnnxStringEntry(key, value));
        else entry.Value = value;
    }

    /// <summary>Removes every entry with this key; returns whether there was one.</summary>
    public bool RemoveMetadata(string key) => MetadataProps.RemoveAll(e => e.Key == key) > 0;

    /// <summary>The imported version of an operator set (<c>""</c>: default ONNX domain), or null.</summary>
    public long? OpsetVersion(string domain = "") =>
        OpsetImports.Find(o => (o.Domain ?? "") == domain || (domain == "ai.onnx" && string.IsNullOrEmpty(o.Domain)))?.Version;

    private static ModelLoadException Invalid(string source, string reason, Exception? inner) =>
        new($"'{source}' is not a valid ONNX model: {reason}; check the file / fetch it again.", inner);

    bool IProtoMessage.ReadField(ProtoReader reader, int number, WireType wire)
    {
        switch (number)
        {
            case 1 when wire == WireType.Varint: IrVersion = reader.Int64(); return true;
            case 2 when wire == WireType.LengthDelimited: ProducerName = reader.String(); return true;
            case 3 when wire == WireType.LengthDelimited: ProducerVersion = reader.String(); return true;
            case 4 when wire == WireType.LengthDelimited: Domain = reader.String(); return true;
            case 5 when wire == WireType.Varint: ModelVersion = reader.Int64(); return true;
            case 6 when wire == WireType.LengthDelimited: DocString = reader.String(); return true;
            case 7 when wire == WireType.LengthDelimited: Graph = reader.Message(Graph ?? new OnnxGraph()); return true;
            case 8 when wire == WireType.LengthDelimited: OpsetImports.Add(reader.Message(new OnnxOpset())); return true;
            case 14 when wire == WireType.LengthDelimited: MetadataProps.Add(reader.Message(new OnnxStringEntry())); return true;
            default: return false;
        }
    }

    void IProtoMessage.Serialize(ProtoWriter writer)
    {
        writer.Int64(1, IrVersion);
        writer.String(2, ProducerName);
        writer.String(3, ProducerVersion);
        writer.String(4, Domain);
        writer.Int64(5, ModelVersion);
        writer.String(6, DocString);
        writer.Message(7, Graph);
        writer.Messages(8, OpsetImports);
        writer.Messages(14, MetadataProps);
    }
}
