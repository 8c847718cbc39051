using EdgeCL.Sync.Payloads;

namespace EdgeCL.Sync.Client;

/// <summary>A snapshot of one client's counters.</summary>
/// <param name="Connects">Successful connects (the first one included).</param>
/// <param name="Received">Entry messages taken off the receive queue.</param>
/// <param name="Merged">Entries that changed the state (own ones included).</param>
/// <param name="Published">Entry publishes acknowledged by the broker (rebirths included).</param>
/// <param name="PublishedBytes">Payload bytes of <paramref name="Published"/>.</param>
/// <param name="PublishRefused">Entry publishes the broker answered with an error code (typically an ACL refusal).</param>
/// <param name="Drops">Dropped messages per reason (every reason present, zeros included).</param>
public sealed record SyncStatistics(long Connects, long Received, long Merged, long Published, long PublishedBytes, long PublishRefused,
    IReadOnlyDictionary<SyncDropReason, long> Drops)
{
    /// <summary>Identical copies of entries already held (retained entries redelivered at every reconnect, QoS 1 duplicates): normal traffic, not drops.</summary>
    public long Redelivered { get; init; }

    /// <summary>Payload bytes of every fleet message taken off the receive queue (entries, aggregates, receipts).</summary>
    public long ReceivedBytes { get; init; }

    /// <summary>Signatures checked on received messages (entries, aggregates and receipts).</summary>
    public long Verified { get; init; }

    /// <summary>Dropped messages of one reason.</summary>
    public long DropCount(SyncDropReason reason) => Drops.TryGetValue(reason, out long n) ? n : 0;
}
