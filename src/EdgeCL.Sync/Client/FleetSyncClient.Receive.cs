using System.Buffers;
using System.Threading.Channels;
using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Commands;
using EdgeCL.Sync.Payloads;
using EdgeCL.Sync.Status;
using EdgeCL.Sync.Topics;
using MQTTnet;

namespace EdgeCL.Sync.Client;

// The receive side: the MQTT handler queues messages; one consumer verifies, merges and counts drops.
public sealed partial class FleetSyncClient
{
    private Task OnMessageReceivedAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        MqttApplicationMessage message = e.ApplicationMessage;
        long length = message.Payload.Length;
        // Oversized payloads are not copied: only their size is needed to count the drop.
        byte[]? payload = length > _options.MaxPayloadBytes ? null : PayloadBytes.Take(message.Payload);
        var item = new Inbound(message.Topic, payload, length, message.Retain, Interlocked.Read(ref _catchUpEpoch));
        if (_inbox.Writer.TryWrite(item))
            return Task.CompletedTask;
        return WriteSlowAsync(item);
    }

    private async Task WriteSlowAsync(Inbound item)
    {
        try
        {
            await _inbox.Writer.WriteAsync(item, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            // Stopping: the message is lost with the connection, and the sender's next rebirth restores it.
        }
    }

    private Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs e)
    {
        // Only signal: reconnecting from this event can deadlock (MQTTnet Client_Connection_Samples).
        Volatile.Read(ref _lost).TrySetResult();
        return Task.CompletedTask;
    }

    private async Task ConsumeAsync(CancellationToken stop)
    {
        try
        {
            await foreach (Inbound item in _inbox.Reader.ReadAllAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    Process(item);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // One bad message (or a throwing event handler) must not stop the merge.
                    Log.ProcessingFailed(_logger, ex, item.Topic);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private void Process(Inbound item)
    {
        Interlocked.Add(ref _receivedBytes, item.Length);
        if (!FleetTopics.TryParse(item.Topic, out FleetTopic topic) || topic.Fleet != _options.Fleet)
        {
            Drop("unknown", item.Topic, SyncDropReason.Malformed, "not an edgecl/v1 topic of this fleet");
            return;
        }
        switch (topic.Kind)
        {
            case FleetTopicKind.Status:
                if (item.Payload is { Length: > 0 } statusPayload && DeviceStatus.TryParse(statusPayload, out DeviceStatus? status))
                    _statuses[topic.Device] = status;
                else if (item.Length == 0)
                    _statuses.TryRemove(topic.Device, out _);
                return;
            case FleetTopicKind.Command:
                HandleCommand(topic, item);
                return;
            case FleetTopicKind.Prototype:
                HandleEntry(topic, item);
                return;
            case FleetTopicKind.PrototypeBundle:
                HandleEntryBundle(topic, item);
                return;
            case FleetTopicKind.Aggregate:
                HandleAggregate(topic, item);
                return;
            case FleetTopicKind.AggregateBundle:
                if (_options.WatchOwnAggregateBundles && topic.Device == _options.DeviceId && topic.SpaceId == _options.Space.Id)
                    NoteOwnAggregatePart(topic, item);
                else
                    HandleAggregateBundle(topic, item);
                return;
            case FleetTopicKind.Receipt:
                HandleReceipt(topic, item);
                return;
        }
    }

    private void HandleEntry(FleetTopic topic, Inbound item)
    {
        if (item.Length == 0)
            return; // a cleared retained entry; the state keeps what it merged (entries are removed by tombstones)
        Interlocked.Increment(ref _received);
        if (!CheckEnvelope(topic, item) || !MergeEntryMessage(topic, item, item.Payload!, topic.Label))
        {
            // Something that is not our entry sits on our own topic (a forgery through a compromised broker, a
            // corrupted copy): put the real one back, or clear the topic if we never wrote that class.
            if (topic.Device == _options.DeviceId && topic.SpaceId == _options.Space.Id && topic.Label is not null)
                ScheduleHeal(topic, topic.Label);
        }
    }

    /// <summary>Verifies one signed entry (from its own topic, or from a bundle when <paramref name="expectedLabel"/> is
    /// null) and merges it; false when it failed decoding or verification (counted as a drop; a copy on our own topic is
    /// then healed).</summary>
    private bool MergeEntryMessage(FleetTopic topic, Inbound item, ReadOnlyMemory<byte> payload, string? expectedLabel)
    {
        FleetEntry? entry = CheckEntry(topic, item, payload, expectedLabel);
        if (entry is null)
            return false;
        bool own = entry.DeviceId == _options.DeviceId;
        FleetMergeOutcome outcome;
        lock (_stateLock)
            outcome = _state.Merge(entry);
        if (outcome is FleetMergeOutcome.WrongSpace or FleetMergeOutcome.Invalid)
        {
            Drop(topic.Device, item.Topic, outcome == FleetMergeOutcome.WrongSpace ? SyncDropReason.WrongSpace : SyncDropReason.Malformed,
                $"the fleet state rejected it ({outcome})");
            return true;
        }
        if (outcome == FleetMergeOutcome.Duplicate)
        {
            // An identical copy: every retained entry comes back at each reconnect (and our own after a rebirth), and a
            // QoS 1 publish may arrive twice. Normal traffic, so counted quietly, never as an attack.
            Interlocked.Increment(ref _redelivered);
            return true;
        }
        if (outcome == FleetMergeOutcome.Stale)
        {
            // A validly signed but older version: a replay of an earlier message (signatures were checked above, so a
            // tampered copy never gets here; it is Forged).
            if (!own)
            {
                Drop(topic.Device, item.Topic, SyncDropReason.Stale, $"version {entry.Version} is older than the one held");
            }
            else if (IsOlderThanPublished(entry))
            {
                // The broker holds an older version of our entry, which regresses late joiners until we publish the
                // latest again. Retained at subscribe time, it is ordinary reconnect traffic after learning offline (the
                // rebirth is on its way); delivered live, someone replayed it.
                if (item.Retained)
                    Interlocked.Increment(ref _redelivered);
                else
                    Drop(topic.Device, item.Topic, SyncDropReason.Stale, $"replay of own version {entry.Version}");
                ScheduleHeal(topic, entry.Label);
            }
            return true;
        }
        Interlocked.Increment(ref _merged);
        RaiseStateChanged(entry, own, payload);
        return true;
    }

    /// <summary>What an entry message or bundle must pass before its payload is read: copied (not oversized), this space.</summary>
    private bool CheckEnvelope(FleetTopic topic, Inbound item)
    {
        if (item.Payload is null)
        {
            Drop(topic.Device, item.Topic, SyncDropReason.Oversized, $"{item.Length} bytes > {_options.MaxPayloadBytes}");
            return false;
        }
        if (topic.SpaceId != _options.Space.Id)
        {
            Drop(topic.Device, item.Topic, SyncDropReason.WrongSpace, $"topic space {topic.SpaceId}");
            return false;
        }
        return true;
    }

    /// <summary>Decodes and verifies one entry message; null (after counting the drop) when it must not reach the state.</summary>
    private FleetEntry? CheckEntry(FleetTopic topic, Inbound item, ReadOnlyMemory<byte> payload, string? expectedLabel)
    {
        Interlocked.Increment(ref _verified);
        if (!_codec.TryDecode(payload.Span, out FleetEntry? entry, out SyncDropReason reason))
        {
            Drop(topic.Device, item.Topic, reason, "payload rejected by the codec");
            return null;
        }
        if (entry.DeviceId != topic.Device || (expectedLabel is not null && entry.Label != expectedLabel))
        {
            Drop(topic.Device, item.Topic, SyncDropReason.Forged, $"payload is {entry.DeviceId}/{entry.Label}, topic says {topic.Device}/{topic.Label}");
            return null;
        }
        if (entry.SpaceId != _options.Space.Id)
        {
            Drop(topic.Device, item.Topic, SyncDropReason.WrongSpace, $"payload space {entry.SpaceId}");
            return null;
        }
        if (!entry.IsTombstone && entry.Mean.Length != _options.Space.Dimension)
        {
            Drop(topic.Device, item.Topic, SyncDropReason.Malformed, $"{entry.Mean.Length} values in a {_options.Space.Dimension}-d space");
            return null;
        }
        return entry;
    }

    // Our own retained copy on the broker is wrong or old: republish the class (or, on a bundle topic, the bundles).
    private void ScheduleHeal(FleetTopic topic, string label)
    {
        if (topic.Kind == FleetTopicKind.PrototypeBundle && FleetTopics.TryParseBundlePart(topic.Label, out bool snapshot, out int index))
            _healParts.Enqueue((snapshot, index));
        else
            _heal[label] = 0;
        _wake.Writer.TryWrite(0);
    }

    private bool IsOlderThanPublished(FleetEntry entry)
    {
        lock (_encodedLock)
            return _encoded.TryGetValue(entry.Label, out var held) && held.Version > entry.Version;
    }

    private void RaiseStateChanged(FleetEntry entry, bool isOwn, ReadOnlyMemory<byte>? payload)
    {
        try
        {
            StateChanged?.Invoke(this, new FleetStateChangedEventArgs(entry, isOwn, payload));
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(_logger, ex, nameof(StateChanged));
        }
    }

    private void Drop(string sender, string topic, SyncDropReason reason, string detail)
    {
        if (_drops.Add(sender, topic, reason, detail))
            Log.Dropped(_logger, sender, topic, reason, detail);
        try
        {
            MessageDropped?.Invoke(this, new MessageDroppedEventArgs(sender, topic, reason));
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(_logger, ex, nameof(MessageDropped));
        }
    }

    /// <summary>One received message as the consumer sees it.</summary>
    /// <param name="Topic">The topic it came on.</param>
    /// <param name="Payload">The payload (the array MQTTnet decoded it into, <see cref="PayloadBytes.Take"/>); null when over the size limit.</param>
    /// <param name="Length">The payload's length.</param>
    /// <param name="Retained">Delivered as a retained message (at subscribe time).</param>
    /// <param name="Epoch">The catch-up round current when it arrived (<see cref="StartCatchUps"/>).</param>
    private readonly record struct Inbound(string Topic, byte[]? Payload, long Length, bool Retained = false, long Epoch = 0);
}
