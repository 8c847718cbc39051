using EdgeCL.Storage.Files;
using System.Buffers.Binary;
using System.Text;
using EdgeCL.Core.Serialization;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeCL.Sync.Broker;

/// <summary>The embedded broker's retained messages on disk, replaced atomically.</summary>
/// <remarks>
/// Layout (little-endian): <c>"ECLR"</c>, format 1, count (i32), then per message: QoS (u8), topic (u16 length + UTF-8),
/// payload (i32 length + bytes); a CRC-32 of everything before it closes the file. Saving writes a temporary file, fsyncs
/// it, renames it over the old one and fsyncs the folder, so a crash leaves the old or the new set, never a mix.
/// </remarks>
internal static class RetainedMessageFile
{
    private static ReadOnlySpan<byte> Magic => "ECLR"u8;
    private const byte FormatVersion = 1;

    /// <summary>Reads the file; an empty list when it does not exist.</summary>
    /// <exception cref="InvalidDataException">The file is truncated, corrupt or of another format.</exception>
    public static List<MqttApplicationMessage> Load(string path)
    {
        var messages = new List<MqttApplicationMessage>();
        if (!File.Exists(path))
            return messages;
        byte[] data = File.ReadAllBytes(path);
        string fix = $"Retained-message file '{path}' is corrupt; delete it (devices republish their entries on reconnect).";
        if (data.Length < 13 || !data.AsSpan(0, 4).SequenceEqual(Magic) || data[4] != FormatVersion)
            throw new InvalidDataException(fix);
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(data.Length - 4));
        if (Crc32.Compute(data.AsSpan(0, data.Length - 4)) != crc)
            throw new InvalidDataException(fix);
        ReadOnlySpan<byte> s = data.AsSpan(0, data.Length - 4);
        int count = BinaryPrimitives.ReadInt32LittleEndian(s[5..]);
        int o = 9;
        for (int i = 0; i < count; i++)
        {
            if (o + 3 > s.Length)
                throw new InvalidDataException(fix);
            var qos = (MqttQualityOfServiceLevel)s[o];
            int topicLength = BinaryPrimitives.ReadUInt16LittleEndian(s[(o + 1)..]);
            o += 3;
            if (o + topicLength + 4 > s.Length)
                throw new InvalidDataException(fix);
            string topic = Encoding.UTF8.GetString(s.Slice(o, topicLength));
            o += topicLength;
            int payloadLength = BinaryPrimitives.ReadInt32LittleEndian(s[o..]);
            o += 4;
            if (payloadLength < 0 || o + payloadLength > s.Length)
                throw new InvalidDataException(fix);
            messages.Add(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(s.Slice(o, payloadLength).ToArray())
                .WithQualityOfServiceLevel(qos).WithRetainFlag().Build());
            o += payloadLength;
        }
        if (o != s.Length)
            throw new InvalidDataException(fix);
        return messages;
    }

    /// <summary>Replaces the file with <paramref name="messages"/> (atomic, durable).</summary>
    /// <exception cref="IOException">The folder is not writable or the disk is full; the old file is untouched.</exception>
    public static void Save(string path, IReadOnlyList<MqttApplicationMessage> messages)
    {
        string full = Path.GetFullPath(path);
        // Build the file in memory first: the CRC covers everything, and AtomicFile writes it in one go.
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1 << 16);
        Span<byte> header = buffer.GetSpan(9);
        Magic.CopyTo(header);
        header[4] = FormatVersion;
        BinaryPrimitives.WriteInt32LittleEndian(header[5..], messages.Count);
        buffer.Advance(9);
        foreach (MqttApplicationMessage message in messages)
        {
            byte[] topic = Encoding.UTF8.GetBytes(message.Topic);
            int payloadLength = checked((int)message.Payload.Length);
            Span<byte> s = buffer.GetSpan(3 + topic.Length + 4 + payloadLength);
            s[0] = (byte)message.QualityOfServiceLevel;
            BinaryPrimitives.WriteUInt16LittleEndian(s[1..], checked((ushort)topic.Length));
            topic.CopyTo(s[3..]);
            BinaryPrimitives.WriteInt32LittleEndian(s[(3 + topic.Length)..], payloadLength);
            int o = 7 + topic.Length;
            foreach (ReadOnlyMemory<byte> segment in message.Payload)
            {
                segment.Span.CopyTo(s[o..]);
                o += segment.Length;
            }
            buffer.Advance(o);
        }
        uint crc = Crc32.Compute(buffer.WrittenSpan);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.GetSpan(4), crc);
        buffer.Advance(4);
        AtomicFile.WriteAllBytes(full, buffer.WrittenSpan);
    }
}
