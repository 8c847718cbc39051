using System.Collections.Concurrent;
using EdgeCL.Sync.Payloads;

namespace EdgeCL.Sync.Client;

/// <summary>One topic whose messages were dropped, as <see cref="FleetSyncClient.DroppedTopics"/> lists it.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Reason">Why its last dropped message was dropped.</param>
/// <param name="Detail">The last drop's detail (e.g. "version 3 is older than the held 5").</param>
/// <param name="Count">Messages dropped on this topic, all reasons.</param>
public sealed record DroppedTopic(string Topic, SyncDropReason Reason, string Detail, long Count);

/// <summary>The client's drop bookkeeping: a counter per reason, which topics were dropped and why, and one log line per sender and reason.</summary>
/// <remarks>
/// Per-topic records are bounded (<see cref="MaxTopics"/>): a flood of junk topics cannot grow memory; once full, new
/// topics are only counted. Thread-safe.
/// </remarks>
internal sealed class DropLedger
{
    /// <summary>Most topics remembered.</summary>
    public const int MaxTopics = 256;

    private readonly long[] _counts = new long[Enum.GetValues<SyncDropReason>().Length];
    private readonly ConcurrentDictionary<(string Sender, SyncDropReason Reason), byte> _logged = new();
    private readonly ConcurrentDictionary<string, DroppedTopic> _topics = new(StringComparer.Ordinal);

    /// <summary>Counts one drop; true when it is the first of this sender and reason (the caller logs it).</summary>
    public bool Add(string sender, string topic, SyncDropReason reason, string detail)
    {
        // The topic first, then the counter: whoever sees the count already finds the topic listed.
        if (_topics.Count < MaxTopics || _topics.ContainsKey(topic))
            _topics.AddOrUpdate(topic, t => new DroppedTopic(t, reason, detail, 1), (_, old) => new DroppedTopic(old.Topic, reason, detail, old.Count + 1));
        Interlocked.Increment(ref _counts[(int)reason]);
        return _logged.TryAdd((sender, reason), 0);
    }

    /// <summary>Drops per reason, every reason present.</summary>
    public Dictionary<SyncDropReason, long> Counts()
    {
        var drops = new Dictionary<SyncDropReason, long>();
        foreach (SyncDropReason reason in Enum.GetValues<SyncDropReason>())
            drops[reason] = Interlocked.Read(ref _counts[(int)reason]);
        return drops;
    }

    /// <summary>The dropped topics, in ordinal order.</summary>
    public IReadOnlyList<DroppedTopic> Topics() => [.. _topics.Values.OrderBy(t => t.Topic, StringComparer.Ordinal)];
}
