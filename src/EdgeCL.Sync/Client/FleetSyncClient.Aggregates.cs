using System.Diagnostics.CodeAnalysis;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Fleet.Aggregation;
using EdgeCL.Core.Fleet.Signing;
using EdgeCL.Sync.Payloads;
using EdgeCL.Sync.State;
using EdgeCL.Sync.Topics;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeCL.Sync.Client;

// Aggregate mode: aggregates and receipts are verified with the aggregators' keys and merged into the aggregate view;
// and the publishing side an aggregator uses.
public sealed partial class FleetSyncClient
{
    // An aggregator signs a cycle's aggregates and receipts once: the roots verified here make the rest of a cycle hashes only.
    private readonly VerifiedRootCache _aggregateRoots = new(256);

    /// <summary>ECDSA verifications this client made for aggregates and receipts (a batch-signed cycle costs one).</summary>
    public long AggregateSignatureChecks => _aggregateRoots.SignatureChecks;

    /// <summary>A non-empty part seen on an aggregator's own bundle topics (<see cref="FleetSyncOptions.WatchOwnAggregateBundles"/>):
    /// (snapshot?, index, payload). The aggregator decides which it did not write as they are.</summary>
    internal Action<bool, int, byte[]>? OwnAggregatePartSeen { get; set; }

    // Not merged: an aggregator builds its aggregates from entries, never from what it published.
    private void NoteOwnAggregatePart(FleetTopic topic, Inbound item)
    {
        if (item.Payload is { Length: > 0 } payload && FleetTopics.TryParseBundlePart(topic.Label, out bool snapshot, out int index))
            OwnAggregatePartSeen?.Invoke(snapshot, index, payload);
    }

    private void HandleAggregate(FleetTopic topic, Inbound item)
    {
        if (TryTake(topic, item, out IFleetAggregateTarget? target, out byte[]? payload))
            MergeAggregateMessage(topic, item, target, payload, topic.Label);
    }

    // A bundle counts as one message received; each aggregate in it is checked exactly as if it had come on its own topic
    // (the topic's aggregator and space; the label is the one the aggregate names).
    private void HandleAggregateBundle(FleetTopic topic, Inbound item)
    {
        if (!TryTake(topic, item, out IFleetAggregateTarget? target, out byte[]? payload))
            return;
        if (!FleetBundleCodec.TryDecode(payload, out ReadOnlyMemory<byte>[]? messages, out int parts, out FleetDecodeError error))
        {
            DropUndecodable(topic, item, error, "an aggregate bundle");
            return;
        }
        bool verified = true;
        foreach (ReadOnlyMemory<byte> message in messages)
            verified &= MergeAggregateMessage(topic, item, target, message, expectedLabel: null);
        if (verified)
            NoteCatchUp(topic, item, parts);
    }

    // False when the message did not decode or verify as the topic's aggregator's (counted as a drop).
    private bool MergeAggregateMessage(FleetTopic topic, Inbound item, IFleetAggregateTarget target, ReadOnlyMemory<byte> payload, string? expectedLabel)
    {
        if (!FleetAggregateCodec.TryDecode(payload.Span, out FleetAggregate? aggregate, out FleetDecodeError error))
        {
            DropUndecodable(topic, item, error, "an aggregate");
            return false;
        }
        if (!VerifiedByAggregator(topic, item, aggregate.AggregatorId, payload.Span))
            return false;
        if ((expectedLabel is not null && aggregate.Label != expectedLabel) || aggregate.SpaceId != topic.SpaceId)
        {
            Drop(topic.Device, item.Topic, SyncDropReason.Forged, $"payload is {aggregate.SpaceId}/{aggregate.Label}, topic says {topic.SpaceId}/{topic.Label}");
            return false;
        }
        FleetMergeOutcome outcome;
        lock (_stateLock)
            outcome = target.MergeAggregate(aggregate);
        AfterAggregateMerge(topic, item, outcome, aggregate, null, payload);
        return true;
    }

    private void HandleReceipt(FleetTopic topic, Inbound item)
    {
        if (!TryTake(topic, item, out IFleetAggregateTarget? target, out byte[]? payload))
            return;
        if (!AggregateReceiptCodec.TryDecode(payload, out AggregateReceipt? receipt, out FleetDecodeError error))
        {
            DropUndecodable(topic, item, error, "a receipt");
            return;
        }
        if (!VerifiedByAggregator(topic, item, receipt.AggregatorId, payload))
            return;
        if (receipt.DeviceId != _options.DeviceId || topic.Recipient != _options.DeviceId || receipt.SpaceId != topic.SpaceId)
        {
            Drop(topic.Device, item.Topic, SyncDropReason.Forged, $"receipt is for {receipt.DeviceId} in {receipt.SpaceId}, topic says {topic.Recipient} in {topic.SpaceId}");
            return;
        }
        FleetMergeOutcome outcome;
        lock (_stateLock)
            outcome = target.MergeReceipt(receipt);
        AfterAggregateMerge(topic, item, outcome, null, receipt, payload);
    }

    // What both message kinds check first: a cleared topic is ignored, an oversized payload (not copied) is a drop.
    private bool TryTake(FleetTopic topic, Inbound item, [NotNullWhen(true)] out IFleetAggregateTarget? target, [NotNullWhen(true)] out byte[]? payload)
    {
        target = _state as IFleetAggregateTarget;
        payload = item.Payload;
        if (item.Length == 0 || target is null)
            return false;
        Interlocked.Increment(ref _received);
        if (payload is null)
            Drop(topic.Device, item.Topic, SyncDropReason.Oversized, $"{item.Length} bytes > {_options.MaxPayloadBytes}");
        return payload is not null;
    }

    private void DropUndecodable(FleetTopic topic, Inbound item, FleetDecodeError error, string what) =>
        Drop(topic.Device, item.Topic, error == FleetDecodeError.TooLarge ? SyncDropReason.Oversized : SyncDropReason.Malformed, $"not {what} ({error})");

    // The signer named in the payload must be the aggregator of the topic and hold a key in the aggregators' trust store.
    private bool VerifiedByAggregator(FleetTopic topic, Inbound item, string aggregatorId, ReadOnlySpan<byte> payload)
    {
        if (aggregatorId != topic.Device)
        {
            Drop(topic.Device, item.Topic, SyncDropReason.Forged, $"signed as aggregator {aggregatorId}, topic says {topic.Device}");
            return false;
        }
        Interlocked.Increment(ref _verified);
        SignatureStatus status = _options.AggregatorKeys?.VerifyPayload(aggregatorId, payload, _aggregateRoots) ?? SignatureStatus.UnknownDevice;
        if (status == SignatureStatus.Valid)
            return true;
        Drop(topic.Device, item.Topic, status == SignatureStatus.UnknownDevice ? SyncDropReason.Unsigned : SyncDropReason.Forged,
            status == SignatureStatus.UnknownDevice ? $"aggregator {aggregatorId} is not in trust_dir/aggregators" : "bad aggregator signature");
        return false;
    }

    private void AfterAggregateMerge(FleetTopic topic, Inbound item, FleetMergeOutcome outcome, FleetAggregate? aggregate, AggregateReceipt? receipt, ReadOnlyMemory<byte> payload)
    {
        switch (outcome)
        {
            case FleetMergeOutcome.Applied or FleetMergeOutcome.Conflict:
                Interlocked.Increment(ref _merged);
                try
                {
                    AggregateChanged?.Invoke(this, new FleetAggregateChangedEventArgs(aggregate, receipt, payload));
                }
                catch (Exception ex)
                {
                    Log.HandlerFailed(_logger, ex, nameof(AggregateChanged));
                }
                return;
            case FleetMergeOutcome.Duplicate or FleetMergeOutcome.Stale:
                // Identical content from a second aggregator, a retained copy at reconnect, or an older aggregate that a
                // restarted aggregator published while catching up: normal traffic.
                Interlocked.Increment(ref _redelivered);
                return;
            case FleetMergeOutcome.PolicyMismatch:
                Drop(topic.Device, item.Topic, SyncDropReason.PolicyMismatch,
                    $"built under merge policy '{aggregate?.Policy}', this device uses '{_options.MergePolicy}'; give every device and aggregator the same sync.max_examples_per_device and sync.max_mean_norm");
                return;
            default:
                Drop(topic.Device, item.Topic, outcome == FleetMergeOutcome.WrongSpace ? SyncDropReason.WrongSpace : SyncDropReason.Malformed,
                    $"the aggregate view rejected it ({outcome})");
                return;
        }
    }

    /// <summary>Successful connects so far, read without building a <see cref="Statistics"/> snapshot.</summary>
    internal long ConnectCount => Interlocked.Read(ref _connects);

    /// <summary>Messages received but not yet verified and merged: how far the consumer is behind the broker.</summary>
    internal int PendingReceive => _inbox.Reader.Count;

    /// <summary>Publishes a QoS 1 message on one of this client's own aggregate, bundle or receipt topics (an aggregator's
    /// output), retained (an empty payload then clears the topic) or not (live bundles).</summary>
    /// <returns>True when the broker acknowledged it; false when offline or refused (the caller retries after the next connect).</returns>
    internal async Task<bool> PublishAggregatorMessageAsync(string topic, byte[] payload, bool retain, CancellationToken cancellationToken)
    {
        if (!_mqtt.IsConnected)
            return false;
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(retain)
            .Build();
        try
        {
            using var deadline = Deadline(cancellationToken, _options.OperationTimeout);
            MqttClientPublishResult result = await _mqtt.PublishAsync(message, deadline.Token).ConfigureAwait(false);
            if (!result.IsSuccess)
            {
                Interlocked.Increment(ref _publishRefused);
                Log.Refused(_logger, topic, _options.DeviceId, result.ReasonCode.ToString());
                return false;
            }
            Interlocked.Increment(ref _published);
            Interlocked.Add(ref _publishedBytes, payload.Length);
            return true;
        }
        catch (Exception ex) when (IsTransient(ex) || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }
}
