using System.Collections.Concurrent;
using EdgeCL.Sync.Bundles;
using EdgeCL.Sync.Topics;

namespace EdgeCL.Sync.Aggregation;

// Bundles (docs/fleet-aggregation.md, "Bundles"): besides one retained message per class (read by audits and by devices
// on sync.receive "aggregates-per-class"), each cycle's aggregates go out as one live bundle (not retained) and into the
// aggregator's retained snapshot and delta. A device catches up from the snapshot and delta once per connection and then
// keeps only the live bundles: one delivery per cycle however many classes changed, one aggregate per changed class.
public sealed partial class FleetAggregator
{
    private readonly RetainedBundles _bundles;
    // Parts seen on the own bundle topics (the client's receive loop → the publish loop, which owns _bundles).
    private readonly ConcurrentQueue<(bool Snapshot, int Index, byte[] Payload)> _ownParts = new();

    private static RetainedBundles CreateBundles(FleetAggregatorOptions options) => new((snapshot, part) =>
        FleetTopics.AggregateBundle(options.Sync.Fleet, options.Sync.Space.Id, options.Sync.DeviceId, snapshot, part),
        FleetTopics.AggregateLive(options.Sync.Fleet, options.Sync.Space.Id, options.Sync.DeviceId));

    /// <summary>Bundle parts published (snapshots and deltas, acknowledged by the broker; clearing an unused part not counted).</summary>
    public long BundlesPublished => _bundles.PartsPublished;

    private Task PublishBundlesAsync(CancellationToken stop) => _bundles.PublishAsync(_client.PublishAggregatorMessageAsync, stop);

    // A part on the aggregator's own topics that it did not write as it is there is rewritten or cleared by the next publish
    // (a snapshot part: the whole snapshot goes out again), as a device does for its entry bundles:
    // - beyond the parts this run holds: left by an earlier run with more parts (more classes then, or a snapshot that has
    //   shrunk since); devices catching up would verify its older aggregates at every connect;
    // - within them, other bytes than this run last wrote: a forgery through a compromised broker, or an earlier run's
    //   part before this run's first publish. (The echo of a part already rewritten since costs one more snapshot.)
    private void RewriteForeignParts()
    {
        while (_ownParts.TryDequeue(out (bool Snapshot, int Index, byte[] Payload) part))
            if (!_bundles.Wrote(part.Snapshot, part.Index, part.Payload))
                _bundles.Distrust(part.Snapshot, part.Index);
    }
}
