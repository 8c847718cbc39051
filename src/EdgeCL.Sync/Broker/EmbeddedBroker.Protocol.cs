using System.Runtime.CompilerServices;
using MQTTnet.Adapter;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace EdgeCL.Sync.Broker;

// What MQTTnet.Server 5.2 leaves out of the protocol and clients rely on (found with Eclipse Paho's conformance suites,
// ops/mqtt/README.md): the client's Maximum Packet Size, disconnecting a client that uses an unknown topic alias, an
// empty client id over MQTT 3.1.1, and the client's Receive Maximum (EmbeddedBroker.FlowControl.cs). Each is done in MQTTnet's own hooks, per connection, with no cost for a client that
// sets no limit and uses no alias.
public sealed partial class EmbeddedBroker
{
    private const string ClientLimitsKey = "edgecl.limits";

    /// <summary>Publishes not sent to a client because they were larger than the Maximum Packet Size it asked for, since start.</summary>
    public long PublishesTooLargeForClient => Interlocked.Read(ref _tooLargeForClient);

    /// <summary>Connections closed because the client used a topic alias it had not set, since start.</summary>
    public long TopicAliasViolations => Interlocked.Read(ref _topicAliasViolations);

    private long _tooLargeForClient, _topicAliasViolations;

    /// <summary>One connection's protocol state kept beside MQTTnet's: its packet limit, the aliases it set, an encoder to measure packets.</summary>
    private sealed class ClientLimits(uint maximumPacketSize, ushort receiveMaximum, MqttProtocolVersion version)
    {
        public uint MaximumPacketSize { get; } = maximumPacketSize;
        public ReceiveWindow? Window { get; } = receiveMaximum is > 0 and < ushort.MaxValue ? new ReceiveWindow(receiveMaximum) : null;
        public MqttPacketFormatterAdapter? Measure { get; } =
            maximumPacketSize == 0 ? null : new MqttPacketFormatterAdapter(version, new MqttBufferWriter(4096, 65536));
        public HashSet<ushort> Aliases { get; } = [];
        public bool TooLargeLogged { get; set; }
        public RetainedAtSubscribe RetainedAtSubscribe { get; } = new();
    }

    /// <summary>Called for every accepted connection: remembers what the client asked for, and gives a 3.1.1 client with an
    /// empty id and a clean session the id <paramref name="assigned"/> (MQTTnet.Server only assigns ids over MQTT 5).</summary>
    private static void RememberClient(ValidatingConnectionEventArgs e, string? assigned)
    {
        e.SessionItems[ClientLimitsKey] = new ClientLimits(e.MaximumPacketSize, e.ProtocolVersion == MqttProtocolVersion.V500 ? e.ReceiveMaximum : (ushort)0, e.ProtocolVersion);
        if (assigned is null)
            return;
        e.AssignedClientIdentifier = assigned;
        if (e.ProtocolVersion != MqttProtocolVersion.V500)
            ConnectPacketOf(e).ClientId = assigned; // 3.1.1 has no field to tell the client; the id only names its session here
    }

    // MQTTnet refuses an empty 3.1.1 id after the validation hook unless the CONNECT packet itself carries one, and the
    // event exposes the packet read-only. UnsafeAccessor is resolved at compile time for Native AOT (no reflection); a
    // rename in a future MQTTnet fails OpenTestModeTests/ProtocolContractTests with MissingFieldException.
    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_connectPacket")]
    private static extern ref MqttConnectPacket ConnectPacketOf(ValidatingConnectionEventArgs e);

    private Task InterceptInboundPacketAsync(InterceptingPacketEventArgs e)
    {
        if (e.SessionItems?[ClientLimitsKey] is not ClientLimits limits)
            return Task.CompletedTask;
        if (limits.Window is { } window && e.Packet is MqttPubAckPacket or MqttPubCompPacket or MqttPubRecPacket)
            Acknowledged(window, e.ClientId, e.Packet);
        if (e.Packet is MqttSubscribePacket)
            limits.RetainedAtSubscribe.Reset();
        if (e.Packet is not MqttPublishPacket { TopicAlias: not 0 } publish)
            return Task.CompletedTask;
        lock (limits.Aliases)
        {
            if (!string.IsNullOrEmpty(publish.Topic))
            {
                limits.Aliases.Add(publish.TopicAlias);
                return Task.CompletedTask;
            }
            if (limits.Aliases.Contains(publish.TopicAlias))
                return Task.CompletedTask;
        }
        // MQTT-3.3.2-7/8: an alias the client never set is a protocol error; MQTTnet would publish to the empty topic.
        e.ProcessPacket = false;
        Interlocked.Increment(ref _topicAliasViolations);
        Log.ClientProtocol(_logger, e.ClientId, $"topic alias {publish.TopicAlias} was never set on this connection; disconnected (0x94)");
        MqttServer? server = _server;
        if (server is not null)
            _ = Task.Run(() => server.DisconnectClientAsync(e.ClientId, MqttDisconnectReasonCode.TopicAliasInvalid));
        return Task.CompletedTask;
    }

    private Task InterceptOutboundPacketAsync(InterceptingPacketEventArgs e)
    {
        if (e.Packet is not MqttPublishPacket publish || e.SessionItems?[ClientLimitsKey] is not ClientLimits limits)
            return Task.CompletedTask;
        if (limits.Measure is { } measure && TooLargeForClient(limits, measure, publish, e.ClientId))
            e.ProcessPacket = false; // MQTT-3.1.2-24: the server must not send it; it discards it as if delivered (MQTT-3.1.2-25)
        else if (limits.Window is { } window && publish.QualityOfServiceLevel != MqttQualityOfServiceLevel.AtMostOnce && !PassWindow(window, publish))
            e.ProcessPacket = false; // held back; an acknowledgement hands it back to the session queue
        return Task.CompletedTask;
    }

    private bool TooLargeForClient(ClientLimits limits, MqttPacketFormatterAdapter measure, MqttPublishPacket publish, string clientId)
    {
        int size;
        lock (measure)
        {
            size = measure.Encode(publish).Length;
            measure.Cleanup();
        }
        if (size <= limits.MaximumPacketSize)
            return false;
        Interlocked.Increment(ref _tooLargeForClient);
        if (!limits.TooLargeLogged)
        {
            limits.TooLargeLogged = true;
            Log.ClientProtocol(_logger, clientId,
                $"a {size}-byte publish on {publish.Topic} is over the {limits.MaximumPacketSize}-byte Maximum Packet Size the client asked for; not sent (further ones are counted, not logged)");
        }
        return true;
    }
}
