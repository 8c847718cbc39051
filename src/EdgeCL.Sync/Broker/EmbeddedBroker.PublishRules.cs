using System.Buffers;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Fleet.Aggregation;
using EdgeCL.Sync.Status;
using EdgeCL.Sync.Topics;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace EdgeCL.Sync.Broker;

// What a device may put on its own topics: only what parses as its own entry, status, aggregate or receipt, bounded in size. The ACL
// already limits where it writes; this limits what, so a device (or a stolen device password) cannot park arbitrary
// retained data on the broker. Signatures are the devices' business (the broker holds no trust folder).
public sealed partial class EmbeddedBroker
{
    /// <summary>Largest status (birth/will with health) a device may publish.</summary>
    public const int MaxStatusBytes = 16 * 1024;

    /// <summary>Why a device's publish on one of its own topics is not acceptable content; null when it is.</summary>
    private static string? DevicePayloadProblem(BrokerUser user, string topic, ReadOnlySequence<byte> payload)
    {
        if (payload.IsEmpty || !FleetTopics.TryParse(topic, out FleetTopic parsed))
            return null; // empty: clearing its own retained topic is allowed
        byte[] bytes = payload.ToArray();
        switch (parsed.Kind)
        {
            case FleetTopicKind.Prototype:
                if (bytes.Length > FleetLimits.MaxPayloadBytes)
                    return $"{bytes.Length} bytes is over an entry's {FleetLimits.MaxPayloadBytes}-byte limit";
                if (!FleetEntryCodec.TryDecode(bytes, out FleetEntry? entry, out FleetDecodeError error))
                    return $"not a signed fleet entry ({error})";
                if (entry.DeviceId != user.Name || entry.Label != parsed.Label || entry.SpaceId != parsed.SpaceId)
                    return $"the entry is {entry.DeviceId}/{entry.SpaceId}/{entry.Label}, the topic says {user.Name}/{parsed.SpaceId}/{parsed.Label}";
                return null;
            case FleetTopicKind.Aggregate:
                if (!FleetAggregateCodec.TryDecode(bytes, out FleetAggregate? aggregate, out FleetDecodeError aggregateError))
                    return $"not a signed fleet aggregate ({aggregateError})";
                if (aggregate.AggregatorId != user.Name || aggregate.Label != parsed.Label || aggregate.SpaceId != parsed.SpaceId)
                    return $"the aggregate is {aggregate.AggregatorId}/{aggregate.SpaceId}/{aggregate.Label}, the topic says {user.Name}/{parsed.SpaceId}/{parsed.Label}";
                return null;
            case FleetTopicKind.PrototypeBundle:
                if (!FleetBundleCodec.TryDecode(bytes, out byte[][]? entries, out FleetDecodeError entriesError))
                    return $"not an entry bundle ({entriesError})";
                foreach (byte[] message in entries)
                {
                    if (!FleetEntryCodec.TryDecode(message, out FleetEntry? inner, out FleetDecodeError innerError))
                        return $"the bundle holds something that is not a signed fleet entry ({innerError})";
                    if (inner.DeviceId != user.Name || inner.SpaceId != parsed.SpaceId)
                        return $"the bundle holds an entry of {inner.DeviceId}/{inner.SpaceId}, the topic says {user.Name}/{parsed.SpaceId}";
                }
                return null;
            case FleetTopicKind.AggregateBundle:
                if (!FleetBundleCodec.TryDecode(bytes, out byte[][]? messages, out FleetDecodeError bundleError))
                    return $"not an aggregate bundle ({bundleError})";
                foreach (byte[] message in messages)
                {
                    if (!FleetAggregateCodec.TryDecode(message, out FleetAggregate? inner, out FleetDecodeError innerError))
                        return $"the bundle holds something that is not a signed fleet aggregate ({innerError})";
                    if (inner.AggregatorId != user.Name || inner.SpaceId != parsed.SpaceId)
                        return $"the bundle holds an aggregate of {inner.AggregatorId}/{inner.SpaceId}, the topic says {user.Name}/{parsed.SpaceId}";
                }
                return null;
            case FleetTopicKind.Receipt:
                if (!AggregateReceiptCodec.TryDecode(bytes, out AggregateReceipt? receipt, out FleetDecodeError receiptError))
                    return $"not a signed aggregate receipt ({receiptError})";
                if (receipt.AggregatorId != user.Name || receipt.DeviceId != parsed.Recipient || receipt.SpaceId != parsed.SpaceId)
                    return $"the receipt is {receipt.AggregatorId}/{receipt.SpaceId}/{receipt.DeviceId}, the topic says {user.Name}/{parsed.SpaceId}/{parsed.Recipient}";
                return null;
            case FleetTopicKind.Status:
                if (bytes.Length > MaxStatusBytes)
                    return $"{bytes.Length} bytes is over a status's {MaxStatusBytes}-byte limit";
                return DeviceStatus.TryParse(bytes, out _) ? null : "not a device status message";
            default:
                return null;
        }
    }

    private void RefuseOversized(InterceptingPublishEventArgs e, BrokerUser user, string topic)
    {
        e.ProcessPublish = false;
        e.Response.ReasonCode = MqttPubAckReasonCode.QuotaExceeded;
        Interlocked.Increment(ref _refusedPublishes);
        Log.OversizedRefused(_logger, e.ClientId, user.Name, topic, e.ApplicationMessage.Payload.Length, _options.MaxPayloadBytes);
    }

    private void RefuseContent(InterceptingPublishEventArgs e, BrokerUser user, string topic, string problem)
    {
        e.ProcessPublish = false;
        e.Response.ReasonCode = MqttPubAckReasonCode.PayloadFormatInvalid;
        Interlocked.Increment(ref _refusedPublishes);
        Log.ContentRefused(_logger, e.ClientId, user.Name, topic, problem);
    }
}
