using System.Buffers;
using System.Runtime.InteropServices;

namespace EdgeCL.Sync.Payloads;

/// <summary>Received payload bytes taken without copying where they already are one whole array.</summary>
internal static class PayloadBytes
{
    /// <summary>The array behind <paramref name="payload"/> when it is exactly one whole array, else a copy.</summary>
    public static byte[] ArrayOf(ReadOnlyMemory<byte> payload) =>
        MemoryMarshal.TryGetArray(payload, out ArraySegment<byte> segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : payload.ToArray();

    /// <summary>
    /// A received MQTT payload as an array the receiver owns. MQTTnet 5 decodes every PUBLISH payload into an array of
    /// its own (MqttBufferReader.ReadRemainingData) and never reuses it, so that array is taken as it is instead of
    /// copied; <c>MqttPayloadOwnershipTests</c> holds MQTTnet to this on every upgrade.
    /// </summary>
    public static byte[] Take(in ReadOnlySequence<byte> payload) =>
        payload.IsSingleSegment ? ArrayOf(payload.First) : payload.ToArray();
}
