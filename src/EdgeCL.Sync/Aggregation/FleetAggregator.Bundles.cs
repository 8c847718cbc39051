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

    private static RetainedBundles CreateBundles(FleetAggregatorOptions options) => new((snapshot, part) =>
        FleetTopics.AggregateBundle(options.Sync.Fleet, options.Sync.Space.Id, options.Sync.DeviceId, snapshot, part),
        FleetTopics.AggregateLive(options.Sync.Fleet, options.Sync.Space.Id, options.Sync.DeviceId));

    /// <summary>Bundle parts published (snapshots and deltas, acknowledged by the broker; clearing an unused part not counted).</summary>
    public long BundlesPublished => _bundles.PartsPublished;

    private Task PublishBundlesAsync(CancellationToken stop) => _bundles.PublishAsync(_client.PublishAggregatorMessageAsync, stop);
}
