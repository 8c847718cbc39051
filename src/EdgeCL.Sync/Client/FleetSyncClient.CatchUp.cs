using System.Collections.Concurrent;
using EdgeCL.Sync.Topics;
using MQTTnet;

namespace EdgeCL.Sync.Client;

// Aggregate bundles on one connection (docs/fleet-aggregation.md, "Bundles"): the live bundles of every aggregator, and,
// until a complete snapshot and delta of a trusted aggregator have arrived, that aggregator's retained bundles too. After
// that the live bundles carry every change (they were subscribed first), so the retained ones are dropped: a one-class
// change then costs the device one aggregate, not the cumulative delta.
public sealed partial class FleetSyncClient
{
    private readonly ConcurrentQueue<string> _caughtUp = new();
    private volatile CatchUpRound? _catchUp;
    private long _catchUpEpoch, _catchUpsDone;

    /// <summary>Aggregators whose retained snapshot and delta this client caught up from and then stopped receiving (over all connections).</summary>
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

    // Consumer thread: a bundle part of the topic's aggregator arrived and decoded (its set has `parts` parts).
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

    // Connection loop: stop receiving the retained bundles of the aggregators caught up from.
    private async Task EndCatchUpsAsync(CancellationToken stop)
    {
        var unsubscribe = new MqttClientUnsubscribeOptionsBuilder();
        int count = 0;
        while (_caughtUp.TryDequeue(out string? aggregator))
        {
            unsubscribe.WithTopicFilter(FleetTopics.AggregatorBundlesFilter(_options.Fleet, _options.Space.Id, aggregator));
            count++;
        }
        if (count == 0)
            return;
        using var deadline = Deadline(stop, _options.OperationTimeout);
        await _mqtt.UnsubscribeAsync(unsubscribe.Build(), deadline.Token).ConfigureAwait(false);
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
