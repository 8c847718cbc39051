using System.Buffers;
using EdgeCL.Sync.Broker;
using MQTTnet;

namespace EdgeCL.Sync.Tests.Unit;

public sealed class RetainedMessageFileTests
{
    [Fact]
    public void SaveLoad_RoundTripsAndDetectsCorruption()
    {
        string dir = Directory.CreateTempSubdirectory("edgecl-retained-").FullName;
        try
        {
            string path = Path.Combine(dir, "retained.bin");
            var messages = new List<MqttApplicationMessage>
            {
                new MqttApplicationMessageBuilder().WithTopic("edgecl/v1/f/ab/proto/d0/cat").WithPayload(new byte[] { 1, 2, 3 }).WithRetainFlag().Build(),
                new MqttApplicationMessageBuilder().WithTopic("edgecl/v1/f/status/d0").WithPayload("{}"u8.ToArray()).WithRetainFlag().Build(),
            };
            RetainedMessageFile.Save(path, messages);
            List<MqttApplicationMessage> back = RetainedMessageFile.Load(path);
            Assert.Equal(messages.Select(m => m.Topic), back.Select(m => m.Topic));
            Assert.Equal(new byte[] { 1, 2, 3 }, back[0].Payload.ToArray());
            Assert.Empty(Directory.GetFiles(dir, "*.tmp"));

            byte[] bytes = File.ReadAllBytes(path);
            bytes[12] ^= 0x40;
            File.WriteAllBytes(path, bytes);
            Assert.Throws<InvalidDataException>(() => RetainedMessageFile.Load(path));
            Assert.Empty(RetainedMessageFile.Load(Path.Combine(dir, "missing.bin")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
