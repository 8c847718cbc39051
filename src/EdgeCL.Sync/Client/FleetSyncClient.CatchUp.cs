using System.Collections.Concurrent;
using EdgeCL.Sync.Topics;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeCL.Sync.Client;

// Aggregate bundles on one connection (docs/fleet-aggregation.md, "Bundles"): a device first receives each trusted
// aggregator's retained snapshot and delta (every class, and every later publish of them). Once it holds every part of
// both, it subscribes to that aggregator's live bundles and, after the broker has acknowledged that, unsubscribes from
// the retained ones: nothing published in between is lost (it comes on both), and from then on a one-class change costs
// the device one aggregate, not the cumulative delta. A fleet-wide start is delivered once: the first cycle arrives on the
// retained topics, before any device has switched to the live ones.
public sealed partial class FleetSyncClient
{
    private readonly ConcurrentQueue<string> _caughtUp = new();
    private volatile CatchUpRound? _catchUp;
    private long _catchUpEpoch, _catchUpsDone;

    /// <summary>Aggregators whose retained snapshot and delta this client caught up from and then switched to the live
    /// bundles of (over all connections).</summary>
    public long AggregateCatchUps => Interlocked.Read(ref _catchUpsDone);

    // At each connect, before subscribing: a new round for every trusted aggregator (messages still queued from the previous
    // connection carry the old epoch and do not count).
    private IReadOnlyList<string> StartCatchUps()
    {
        while (_caughtUp.TryDequeue(out _))
        {
        }
        IReadOnlyList<string> ids = _options.AggregatorKeys?.Ids ?? [];
        _catchUp = new CatchUpRound(Interlocked.Increment(ref _catchUpEpoch), ids);
        return ids;
    }

    // Consumer thread: a bundle part of the topic's aggregator arrived, and every aggregate in it verified (its set has
    // `parts` parts). A part holding anything forged does not count: the device keeps the retained subscription until the
    // aggregator publishes that part again.
    private void NoteCatchUp(FleetTopic topic, Inbound item, int parts)
    {
        CatchUpRound? round = _catchUp;
        if (round is null || item.Epoch != round.Epoch || !FleetTopics.TryParseBundlePart(topic.Label, out bool snapshot, out int index)
            || !round.Aggregators.TryGetValue(topic.Device, out CatchUpSets? sets) || sets.Done)
            return;
        (snapshot ? sets.Snapshot : sets.Delta).Note(index, parts);
        if (sets.Snapshot.IsComplete && sets.Delta.IsComplete)
        {
            sets.Done = true;
            _caughtUp.Enqueue(topic.Device);
            _wake.Writer.TryWrite(0);
        }
    }

    // Connection loop: switch the aggregators caught up from to their live bundles (subscribe first, then unsubscribe).
    private async Task EndCatchUpsAsync(CancellationToken stop)
    {
        var live = new MqttClientSubscribeOptionsBuilder();
        var retained = new MqttClientUnsubscribeOptionsBuilder();
        int count = 0;
        while (_caughtUp.TryDequeue(out string? aggregator))
        {
            live.WithTopicFilter(FleetTopics.AggregateLive(_options.Fleet, _options.Space.Id, aggregator), MqttQualityOfServiceLevel.AtLeastOnce, noLocal: true,
                retainAsPublished: false, MqttRetainHandling.DoNotSendOnSubscribe);
            retained.WithTopicFilter(FleetTopics.AggregatorBundlesFilter(_options.Fleet, _options.Space.Id, aggregator));
            count++;
        }
        if (count == 0)
            return;
        using var deadline = Deadline(stop, _options.OperationTimeout);
        MqttClientSubscribeResult subscribed = await _mqtt.SubscribeAsync(live.Build(), deadline.Token).ConfigureAwait(false);
        if (subscribed.Items.Any(item => item.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2))
        {
            // Refused (an ACL without aggs-live): stay on the retained bundles, which carry everything too.
            foreach (MqttClientSubscribeResultItem item in subscribed.Items.Where(item => item.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2))
                Log.Refused(_logger, $"subscription to {item.TopicFilter.Topic}", _options.DeviceId, item.ResultCode.ToString());
            return;
        }
        await _mqtt.UnsubscribeAsync(retained.Build(), deadline.Token).ConfigureAwait(false);
        Interlocked.Add(ref _catchUpsDone, count);
    }

    private sealed class CatchUpRound(long epoch, IReadOnlyList<string> aggregators)
    {
        public long Epoch { get; } = epoch;

        public Dictionary<string, CatchUpSets> Aggregators { get; } = aggregators.ToDictionary(a => a, _ => new CatchUpSets(), StringComparer.Ordinal);
    }

    private sealed class CatchUpSets
    {
        public PartSet Snapshot { get; } = new();

        public PartSet Delta { get; } = new();

        public bool Done { get; set; }
    }

    // The parts of a snapshot or delta seen, against the count the latest part announced. Parts of two generations may
    // mix: any part seen holds state at least as new as the retained set at subscribe time, and the live bundles hold
    // everything after it, so a complete count is enough.
    private sealed class PartSet
    {
        private readonly HashSet<int> _seen = [];
        private int _parts;

        public bool IsComplete => _parts > 0 && _seen.Count >= _parts && Enumerable.Range(0, _parts).All(_seen.Contains);

        public void Note(int index, int parts)
        {
            _seen.Add(index);
            _parts = parts;
        }
    }
}
