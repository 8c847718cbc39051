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
                return BundleProblem(bytes, user.Name, parsed.SpaceId, "entry", static (byte[] message, out string writer, out string space, out FleetDecodeError error) =>
                {
                    bool read = FleetEntryCodec.TryDecode(message, out FleetEntry? entry, out error);
                    (writer, space) = (entry?.DeviceId ?? "", entry?.SpaceId ?? "");
                    return read;
                });
            case FleetTopicKind.AggregateBundle:
                return BundleProblem(bytes, user.Name, parsed.SpaceId, "aggregate", static (byte[] message, out string writer, out string space, out FleetDecodeError error) =>
                {
                    bool read = FleetAggregateCodec.TryDecode(message, out FleetAggregate? aggregate, out error);
                    (writer, space) = (aggregate?.AggregatorId ?? "", aggregate?.SpaceId ?? "");
                    return read;
                });
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

    private delegate bool ReadWriter(byte[] message, out string writer, out string space, out FleetDecodeError error);

    // A bundle on a writer's topic: every message in it must be a signed entry (or aggregate) of that writer, in the
    // topic's space, as it would have to be on its own topic.
    private static string? BundleProblem(byte[] bytes, string user, string? space, string kind, ReadWriter read)
    {
        if (!FleetBundleCodec.TryDecode(bytes, out byte[][]? messages, out FleetDecodeError error))
            return $"not an {kind} bundle ({error})";
        foreach (byte[] message in messages)
        {
            if (!read(message, out string writer, out string messageSpace, out FleetDecodeError inner))
                return $"the bundle holds something that is not a signed fleet {kind} ({inner})";
            if (writer != user || messageSpace != space)
                return $"the bundle holds an {kind} of {writer}/{messageSpace}, the topic says {user}/{space}";
        }
        return null;
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
