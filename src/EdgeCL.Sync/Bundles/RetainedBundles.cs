using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Topics;

namespace EdgeCL.Sync.Bundles;

/// <summary>
/// One writer's classes as retained bundles (docs/fleet-aggregation.md, "Bundles"): a snapshot of every class (parts
/// <c>s0</c>, <c>s1</c>, …) and a delta of the classes changed since it (<c>d0</c>, …). A receiver that subscribes finds
/// every class in snapshot ∪ delta; one that stays subscribed receives one message per publish however many classes
/// changed. Used for a device's own entries (<c>…/protos/{device}/…</c>) and an aggregator's aggregates (<c>…/aggs/…</c>).
/// </summary>
/// <remarks>
/// The delta is cumulative, because a retained topic keeps only its last message: a publish that changes one class costs
/// receivers the delta, not the snapshot. Once the delta holds more than <see cref="DeltaLimit"/> classes a new snapshot
/// replaces it. Receivers keep the newest entry (or the largest aggregate) per class, so receiving a class twice, or an
/// older snapshot beside a newer delta, changes nothing. Not thread-safe: one publishing loop owns it.
/// </remarks>
public sealed class RetainedBundles
{
    private readonly Func<bool, int, string> _topic;
    // label → the signed message last published for it (snapshot ∪ delta), and the part of it newer than the snapshot.
    private readonly SortedDictionary<string, byte[]> _latest = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, byte[]> _delta = new(StringComparer.Ordinal);
    private int _snapshotParts, _deltaParts; // retained parts on the broker that this writer may have to clear
    private bool _snapshotDue = true, _deltaDue;
    private volatile bool _pending;
    private long _partsPublished;

    /// <param name="topic">The topic of a part: (snapshot?, index) → topic.</param>
    public RetainedBundles(Func<bool, int, string> topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        _topic = topic;
    }

    /// <summary>Most classes the delta holds before a new snapshot replaces it: √(2C), at least 4.</summary>
    /// <remarks>A change then costs each receiver about half the delta plus its share of the next snapshot (C / limit),
    /// smallest at √(2C): for C = 100, about 15 messages' worth per delivery, against 1 per class topic.</remarks>
    public static int DeltaLimit(int classes) => Math.Max(4, (int)Math.Ceiling(Math.Sqrt(2.0 * Math.Max(0, classes))));

    /// <summary>Whether something noted is not on the broker yet (safe to read from any thread).</summary>
    public bool Pending => _pending;

    /// <summary>Classes held.</summary>
    public int Count => _latest.Count;

    /// <summary>Bundle parts published and acknowledged (clearing an unused part not counted).</summary>
    public long PartsPublished => Interlocked.Read(ref _partsPublished);

    /// <summary>A class's new signed message, for the next publish.</summary>
    public void Note(string label, byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(label);
        ArgumentNullException.ThrowIfNull(payload);
        _latest[label] = payload;
        _delta[label] = payload;
        _deltaDue = _pending = true;
    }

    /// <summary>Everything goes out again as a new snapshot (after a reconnect: the broker may have lost its retained messages).</summary>
    public void Republish() => _snapshotDue = _pending = true;

    /// <summary>A part on the broker that this writer did not write as it is (a forgery, a copy from an earlier run with
    /// more parts): the next publish rewrites the snapshot and clears every part up to <paramref name="index"/> that it does not use.</summary>
    public void Distrust(bool snapshot, int index)
    {
        if (snapshot)
            _snapshotParts = Math.Max(_snapshotParts, index + 1);
        else
            _deltaParts = Math.Max(_deltaParts, index + 1);
        Republish();
    }

    /// <summary>
    /// Publishes what is due: a new snapshot when one is due or the delta is over its limit (then the old delta's parts are
    /// cleared), else the delta. <paramref name="publish"/> sends one retained message (an empty payload clears the topic)
    /// and returns false when it did not reach the broker; everything due is then sent again at the next call.
    /// </summary>
    /// <returns>True when nothing is left to publish.</returns>
    public async Task<bool> PublishAsync(Func<string, byte[], CancellationToken, Task<bool>> publish, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(publish);
        if (_latest.Count == 0 || (!_snapshotDue && !_deltaDue))
        {
            // Nothing to say yet (a writer with no classes publishes no snapshot).
            _pending = false;
            return true;
        }
        if (_snapshotDue || _delta.Count > DeltaLimit(_latest.Count))
        {
            int? parts = await PublishPartsAsync(publish, snapshot: true, _latest.Values, _snapshotParts, cancellationToken).ConfigureAwait(false);
            if (parts is null)
                return false;
            _snapshotParts = parts.Value;
            _snapshotDue = false;
            _delta.Clear();
            _deltaDue = true; // the old delta's parts are cleared next
        }
        int? deltaParts = await PublishPartsAsync(publish, snapshot: false, _delta.Values, _deltaParts, cancellationToken).ConfigureAwait(false);
        if (deltaParts is null)
            return false;
        _deltaParts = deltaParts.Value;
        _deltaDue = _pending = false;
        return true;
    }

    // Publishes the messages as parts 0…, then clears the parts beyond them that may still hold older ones; the number of
    // parts now on the broker, or null when a publish did not reach it.
    private async Task<int?> PublishPartsAsync(Func<string, byte[], CancellationToken, Task<bool>> publish, bool snapshot, IEnumerable<byte[]> messages,
        int heldParts, CancellationToken cancellationToken)
    {
        IReadOnlyList<byte[]> bundles = FleetBundleCodec.Pack(messages);
        if (bundles.Count > FleetTopics.MaxBundleParts)
            throw new InvalidOperationException($"{bundles.Count} bundle parts are needed, over the limit of {FleetTopics.MaxBundleParts}; this space has too many classes for bundles: publish one message per class.");
        for (int i = 0; i < Math.Max(bundles.Count, heldParts); i++)
        {
            byte[] payload = i < bundles.Count ? bundles[i] : [];
            if (!await publish(_topic(snapshot, i), payload, cancellationToken).ConfigureAwait(false))
                return null;
            if (payload.Length > 0)
                Interlocked.Increment(ref _partsPublished);
        }
        return bundles.Count;
    }
}
