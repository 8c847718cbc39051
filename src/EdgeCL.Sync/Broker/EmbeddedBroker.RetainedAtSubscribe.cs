using System.Diagnostics.CodeAnalysis;
using MQTTnet;
using MQTTnet.Internal;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;
using MQTTnet.Server.Internal;
using MQTTnet.Server.Internal.Formatter;

namespace EdgeCL.Sync.Broker;

// Retained messages at subscribe, sent without a gap. MQTTnet.Server 5.2 copies the retained messages when a SUBSCRIBE
// starts and makes the subscription visible to publishers only when it ends: a retained publish in between is neither in
// the copy nor delivered live, so the subscriber never gets it (ProtocolContractTests lost up to 32 of 120 in a run; a
// device missed a peer's snapshot bundle in CI). Here, for filters that ask for retained messages at every subscribe, the
// broker turns MQTTnet's copy off and reads the retained messages itself once the subscription is visible: a publish is
// then either already retained when it reads them or dispatched to the subscription. Cost: one copy of the retained set per
// SUBSCRIBE packet, as MQTTnet's own.
public sealed partial class EmbeddedBroker
{
    /// <summary>The filters of the SUBSCRIBE in progress whose retained messages this broker sends, and the retained
    /// messages it read for that packet (taken after the subscriptions became visible; dropped once all are served).</summary>
    private sealed class RetainedAtSubscribe
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<MqttTopicFilter, MqttSessionStatus> _filters = new(ReferenceEqualityComparer.Instance);
        private IList<MqttApplicationMessage>? _retained;

        /// <summary>A new SUBSCRIBE packet: nothing of an earlier one carries over (a packet cut short by an error
        /// leaves filters that never get their event, and their copy must not serve the next packet).</summary>
        public void Reset()
        {
            lock (_lock)
            {
                _filters.Clear();
                _retained = null;
            }
        }

        public void Add(MqttTopicFilter filter, MqttSessionStatus session)
        {
            lock (_lock)
                _filters[filter] = session;
        }

        /// <summary>Takes a filter this broker serves: its session, and the packet's retained copy if one was read.</summary>
        public bool TryTake(MqttTopicFilter filter, [NotNullWhen(true)] out MqttSessionStatus? session, out IList<MqttApplicationMessage>? retained)
        {
            lock (_lock)
            {
                retained = _retained;
                return _filters.Remove(filter, out session);
            }
        }

        /// <summary>Keeps the copy read for the packet while some of its filters are still to be served.</summary>
        public void Keep(IList<MqttApplicationMessage> retained)
        {
            lock (_lock)
                _retained = _filters.Count == 0 ? null : retained;
        }
    }

    /// <summary>Called for a granted subscription: takes over sending its retained messages (SendAtSubscribe only; the
    /// "if new" handling needs MQTTnet's knowledge of existing subscriptions and stays with it).</summary>
    private static void TakeOverRetained(InterceptingSubscriptionEventArgs e)
    {
        if (e.SessionItems?[ClientLimitsKey] is not ClientLimits limits || e.TopicFilter is not { } filter || string.IsNullOrEmpty(filter.Topic)
            || filter.RetainHandling != MqttRetainHandling.SendAtSubscribe)
            return;
        filter.RetainHandling = MqttRetainHandling.DoNotSendOnSubscribe;
        limits.RetainedAtSubscribe.Add(filter, e.Session);
    }

    /// <summary>After MQTTnet made the packet's subscriptions visible: enqueue the retained messages matching the filter.</summary>
    private async Task SendRetainedAtSubscribeAsync(ClientSubscribedTopicEventArgs e)
    {
        if (e.SessionItems?[ClientLimitsKey] is not ClientLimits limits || _server is not { } server)
            return;
        RetainedAtSubscribe pending = limits.RetainedAtSubscribe;
        if (!pending.TryTake(e.TopicFilter, out MqttSessionStatus? status, out IList<MqttApplicationMessage>? retained))
            return;
        // Every filter of one SUBSCRIBE becomes visible at once, before the first of these calls: one read serves them all.
        retained ??= await server.GetRetainedMessagesAsync().ConfigureAwait(false);
        pending.Keep(retained);
        MqttSession session = SessionOf(status);
        MqttQualityOfServiceLevel granted = e.TopicFilter.QualityOfServiceLevel;
        foreach (MqttApplicationMessage message in retained)
        {
            if (message is null || MqttTopicFilterComparer.Compare(message.Topic, e.TopicFilter.Topic) != MqttTopicFilterCompareResult.IsMatch)
                continue;
            MqttPublishPacket packet = MqttPublishPacketFactory.Create(message);
            packet.QualityOfServiceLevel = (MqttQualityOfServiceLevel)Math.Min((int)granted, (int)message.QualityOfServiceLevel);
            packet.Retain = true; // sent because it is retained (MQTT 3.1.1, MQTT-3.3.1-8)
            packet.Dup = false;
            packet.TopicAlias = 0;
            session.EnqueueDataPacket(new MqttPacketBusItem(packet));
        }
    }
}
