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
/// <para>The delta is cumulative, because a retained topic keeps only its last message: a publish that changes one class
/// costs subscribers the delta, not the snapshot. Once the delta holds more than <see cref="DeltaLimit"/> classes a new
/// snapshot replaces it. Receivers keep the newest entry (or the largest aggregate) per class, so receiving a class twice,
/// or an older snapshot beside a newer delta, changes nothing.</para>
/// <para>With a live topic (aggregators), each publish also sends just what changed since the last one, not retained:
/// a device that has caught up from the snapshot and delta unsubscribes from them and keeps only the live topic, so a
/// one-class change costs it one aggregate, not the delta.</para>
/// <para>Not thread-safe: one publishing loop owns it.</para>
/// </remarks>
public sealed class RetainedBundles
{
    private readonly Func<bool, int, string> _topic;
    private readonly string? _liveTopic;
    // Noted since the last publish that reached the broker: the next live bundle (with a live topic only).
    private readonly SortedDictionary<string, byte[]> _live = new(StringComparer.Ordinal);
    // label → the signed message last published for it (snapshot ∪ delta), and the part of it newer than the snapshot.
    private readonly SortedDictionary<string, byte[]> _latest = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, byte[]> _delta = new(StringComparer.Ordinal);
    private int _snapshotParts, _deltaParts; // retained parts on the broker that this writer may have to clear
    private readonly Dictionary<(bool Snapshot, int Index), byte[]> _written = []; // what the last publish of each part held
    private bool _snapshotDue = true, _deltaDue;
    private volatile bool _pending;
    private long _partsPublished;

    /// <param name="topic">The topic of a part: (snapshot?, index) → topic.</param>
    /// <param name="liveTopic">Where each publish's changes also go, not retained; null for none.</param>
    public RetainedBundles(Func<bool, int, string> topic, string? liveTopic = null)
    {
        ArgumentNullException.ThrowIfNull(topic);
        _topic = topic;
        _liveTopic = liveTopic;
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

    /// <summary>Whether <paramref name="payload"/> is exactly what this writer last published as that part (false for a part
    /// it never wrote or has cleared since: beyond the parts it now uses).</summary>
    public bool Wrote(bool snapshot, int index, ReadOnlySpan<byte> payload) =>
        _written.TryGetValue((snapshot, index), out byte[]? written) && payload.SequenceEqual(written);

    /// <summary>A class's new signed message, for the next publish.</summary>
    public void Note(string label, byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(label);
        ArgumentNullException.ThrowIfNull(payload);
        _latest[label] = payload;
        _delta[label] = payload;
        if (_liveTopic is not null)
            _live[label] = payload;
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
    /// Publishes what is due: the live bundle of what changed (with a live topic), then a new snapshot when one is due or
    /// the delta is over its limit, else the delta (with a live topic an empty delta is an empty bundle, so that d0 always
    /// exists beside s0).
    /// <paramref name="publish"/> sends one message (retained or not; an empty retained payload clears the topic) and
    /// returns false when it did not reach the broker; everything due is then sent again at the next call.
    /// </summary>
    /// <returns>True when nothing is left to publish.</returns>
    public async Task<bool> PublishAsync(Func<string, byte[], bool, CancellationToken, Task<bool>> publish, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(publish);
        if (_latest.Count == 0 || (!_snapshotDue && !_deltaDue))
        {
            // Nothing to say yet (a writer with no classes publishes no snapshot).
            _pending = false;
            return true;
        }
        if (_liveTopic is not null && _live.Count > 0)
        {
            foreach (byte[] bundle in FleetBundleCodec.Pack(_live.Values))
                if (!await publish(_liveTopic, bundle, false, cancellationToken).ConfigureAwait(false))
                    return false;
            _live.Clear();
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
    private async Task<int?> PublishPartsAsync(Func<string, byte[], bool, CancellationToken, Task<bool>> publish, bool snapshot, IEnumerable<byte[]> messages,
        int heldParts, CancellationToken cancellationToken)
    {
        IReadOnlyList<byte[]> bundles = FleetBundleCodec.Pack(messages);
        // With a live topic, receivers catch up until they hold every part of the snapshot and of the delta: an empty
        // delta is then one empty part, not an absent topic. Without, an unused part is simply cleared.
        if (bundles.Count == 0 && _liveTopic is not null)
            bundles = [FleetBundleCodec.Encode([])];
        if (bundles.Count > FleetTopics.MaxBundleParts)
            throw new InvalidOperationException($"{bundles.Count} bundle parts are needed, over the limit of {FleetTopics.MaxBundleParts}; this space has too many classes for bundles: publish one message per class.");
        for (int i = 0; i < Math.Max(bundles.Count, heldParts); i++)
        {
            byte[] payload = i < bundles.Count ? bundles[i] : [];
            if (!await publish(_topic(snapshot, i), payload, true, cancellationToken).ConfigureAwait(false))
                return null;
            if (i < bundles.Count)
            {
                _written[(snapshot, i)] = payload;
                Interlocked.Increment(ref _partsPublished);
            }
            else
                _written.Remove((snapshot, i));
        }
        return bundles.Count;
    }
}
