using Google.Protobuf;

namespace EdgeCL.Onnx.Tests.Graph;

/// <summary>Independent protobuf encoder for hand-made test messages (does not share code with the reader/writer under test).</summary>
internal static class RawProto
{
    public static byte[] Message(params byte[][] fields) => [.. fields.SelectMany(f => f)];

    public static byte[] Varint(int field, long value) => Encode(o => { o.WriteTag(field, WireFormat.WireType.Varint); o.WriteInt64(value); });

    public static byte[] Fixed32(int field, uint value) => Encode(o => { o.WriteTag(field, WireFormat.WireType.Fixed32); o.WriteFixed32(value); });

    public static byte[] Fixed64(int field, ulong value) => Encode(o => { o.WriteTag(field, WireFormat.WireType.Fixed64); o.WriteFixed64(value); });

    public static byte[] Float(int field, float value) => Encode(o => { o.WriteTag(field, WireFormat.WireType.Fixed32); o.WriteFloat(value); });

    public static byte[] Len(int field, byte[] payload) =>
        Encode(o => { o.WriteTag(field, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(payload)); });

    public static byte[] Len(int field, params byte[][] fields) => Len(field, Message(fields));

    public static byte[] Str(int field, string value) => Encode(o => { o.WriteTag(field, WireFormat.WireType.LengthDelimited); o.WriteString(value); });

    public static byte[] Group(int field, params byte[][] content) => Message(
        Encode(o => o.WriteTag(field, WireFormat.WireType.StartGroup)),
        Message(content),
        Encode(o => o.WriteTag(field, WireFormat.WireType.EndGroup)));

    public static byte[] PackedVarints(int field, params long[] values) =>
        Len(field, Encode(o => { foreach (long v in values) o.WriteInt64(v); }));

    public static byte[] PackedFloats(int field, params float[] values) =>
        Len(field, Encode(o => { foreach (float v in values) o.WriteFloat(v); }));

    private static byte[] Encode(Action<CodedOutputStream> write)
    {
        using var stream = new MemoryStream();
        using (var output = new CodedOutputStream(stream, leaveOpen: true))
        {
            write(output);
        }
        return stream.ToArray();
    }
}
