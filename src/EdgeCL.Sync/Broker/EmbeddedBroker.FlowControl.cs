using System.Runtime.CompilerServices;
using MQTTnet.Internal;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;
using MQTTnet.Server.Internal;

namespace EdgeCL.Sync.Broker;

// MQTT 5's Receive Maximum (MQTT-3.3.4-9): a client that asks for at most N unacknowledged QoS 1/2 publishes must not get
// more. MQTTnet.Server 5.2 sends as fast as the socket takes them, so a small client (a microcontroller with room for two
// messages) is overrun. The window is kept here: a publish over it is held back in order, and each acknowledgement hands
// the oldest held one back to the client's own session queue. Clients that ask for no limit (EdgeCL's own, mosquitto's
// bridge) get no window and pay nothing.
public sealed partial class EmbeddedBroker
{
    /// <summary>Publishes held back at least once because the client's Receive Maximum was reached, since start.</summary>
    public long PublishesHeldForReceiveMaximum => Interlocked.Read(ref _heldForWindow);

    private long _heldForWindow;

    /// <summary>One connection's QoS 1/2 window: the packet ids in flight, the publishes held back, and the ones handed back
    /// to the session queue but not yet sent (later publishes wait behind them, so order is kept).</summary>
    private sealed class ReceiveWindow(int maximum)
    {
        public int Maximum { get; } = maximum;
        public HashSet<ushort> InFlight { get; } = [];
        public Queue<MqttPublishPacket> Held { get; } = new();
        public HashSet<MqttPublishPacket> Released { get; } = new(ReferenceEqualityComparer.Instance);
    }

    /// <summary>Whether <paramref name="publish"/> may go out now; if not it is held. Called for every outgoing QoS 1/2 publish of a windowed client.</summary>
    private bool PassWindow(ReceiveWindow window, MqttPublishPacket publish)
    {
        lock (window)
        {
            bool released = window.Released.Remove(publish);
            if (released || window.InFlight.Count < window.Maximum && window.Held.Count == 0 && window.Released.Count == 0)
            {
                window.InFlight.Add(publish.PacketIdentifier);
                return true;
            }
            // A client that never acknowledges cannot make the broker hold everything: past the limit it is over-sent
            // instead. The same bound ends a stall if a released publish never comes back (MQTTnet drops the oldest queued
            // messages of a client more than MaxPendingMessagesPerClient behind).
            if (window.Held.Count >= MaxHeldPerClient)
                return true;
            window.Held.Enqueue(publish);
        }
        Interlocked.Increment(ref _heldForWindow);
        return false;
    }

    private const int MaxHeldPerClient = 100_000;

    /// <summary>An acknowledgement from the client: frees its slot and hands the oldest held publish back to the session queue.</summary>
    private void Acknowledged(ReceiveWindow window, string clientId, MqttPacket ack)
    {
        ushort id;
        switch (ack)
        {
            case MqttPubAckPacket pubAck: id = pubAck.PacketIdentifier; break;
            case MqttPubCompPacket pubComp: id = pubComp.PacketIdentifier; break;
            case MqttPubRecPacket { ReasonCode: >= MqttPubRecReasonCode.UnspecifiedError } refused: id = refused.PacketIdentifier; break;
            default: return;
        }
        MqttPublishPacket? next;
        lock (window)
        {
            if (!window.InFlight.Remove(id) || !window.Held.TryDequeue(out next))
                return;
            window.Released.Add(next);
        }
        _ = ReleaseAsync(clientId, next);
    }

    private async Task ReleaseAsync(string clientId, MqttPublishPacket held)
    {
        MqttServer? server = _server;
        if (server is null)
            return;
        MqttSessionStatus status;
        try
        {
            status = await server.GetSessionAsync(clientId).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            return; // the client is gone; a clean session takes its queue with it
        }
        MqttSession session = SessionOf(status);
        // The held packet is still listed as unacknowledged under the id it was given; enqueueing gives it a fresh one and
        // lists it again, so the old listing goes first.
        session.AcknowledgePublishPacket(held.PacketIdentifier);
        session.EnqueueDataPacket(new MqttPacketBusItem(held));
    }

    // The status object is the public face of MQTTnet's session; its queue is not public. UnsafeAccessor is bound at compile
    // time for Native AOT; a rename in a future MQTTnet fails ProtocolContractTests with MissingFieldException.
    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_session")]
    private static extern ref MqttSession SessionOf(MqttSessionStatus status);
}
