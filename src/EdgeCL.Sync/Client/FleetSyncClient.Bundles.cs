using System.Collections.Concurrent;
using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Bundles;
using EdgeCL.Sync.Payloads;
using EdgeCL.Sync.Topics;

namespace EdgeCL.Sync.Client;

// Entry bundles (docs/fleet-aggregation.md, "Bundles"): with FleetSyncOptions.PublishBundles a device publishes its own
// entries as a retained snapshot and delta on …/protos/{device}/… (one message per flush instead of one per class), and
// every client reads such bundles beside the per-class topics, whatever it publishes itself.
public sealed partial class FleetSyncClient
{
    // This device's own entries as retained bundles; null when it publishes one message per class.
    private readonly RetainedBundles? _ownBundles;
    // Parts of our own bundle topics that hold something we did not write as it is: rewritten (or cleared) by the loop.
    private readonly ConcurrentQueue<(bool Snapshot, int Index)> _healParts = new();
    private readonly string _protoBundleFilter;

    private void HandleEntryBundle(FleetTopic topic, Inbound item)
    {
        if (item.Length == 0)
            return; // a cleared part
        Interlocked.Increment(ref _received);
        bool accepted = CheckEnvelope(topic, item);
        if (accepted)
        {
            if (FleetBundleCodec.TryDecode(item.Payload!, out ReadOnlyMemory<byte>[]? messages, out _, out FleetDecodeError error))
            {
                // Each entry is checked as if it had come on its own topic: signed by the topic's device, in this space.
                foreach (ReadOnlyMemory<byte> message in messages)
                    accepted &= MergeEntryMessage(topic, item, message, expectedLabel: null);
            }
            else
            {
                Drop(topic.Device, item.Topic, error == FleetDecodeError.TooLarge ? SyncDropReason.Oversized : SyncDropReason.Malformed, $"not an entry bundle ({error})");
                accepted = false;
            }
        }
        if (!accepted && topic.Device == _options.DeviceId && topic.SpaceId == _options.Space.Id)
            ScheduleHeal(topic, "");
    }

    // The publishing loop's part: a rebirth puts every own entry in a new snapshot, a flush adds the pending ones to the delta.
    private async Task PublishBundledAsync(IReadOnlyList<FleetEntry> entries, bool rebirth, CancellationToken stop)
    {
        RetainedBundles bundles = _ownBundles!;
        EncodeMissing(entries);
        foreach (FleetEntry entry in entries)
            bundles.Note(entry.Label, EncodedPayload(entry));
        if (rebirth)
            bundles.Republish();
        await bundles.PublishAsync(PublishOwnPartAsync, stop).ConfigureAwait(false);
        foreach (FleetEntry entry in entries)
            await _outbox.MarkPublishedAsync(entry, stop).ConfigureAwait(false);
    }

    // Parts of our bundle topics found wrong: rewrite the bundles (clearing parts beyond ours), or, when this device
    // publishes per class, clear them.
    private async Task HealPartsAsync(CancellationToken stop)
    {
        while (_healParts.TryDequeue(out (bool Snapshot, int Index) part))
        {
            if (_ownBundles is not null)
                _ownBundles.Distrust(part.Snapshot, part.Index);
            else
                await PublishOwnAsync(FleetTopics.PrototypeBundle(_options.Fleet, _options.Space.Id, _options.DeviceId, part.Snapshot, part.Index), [], stop)
                    .ConfigureAwait(false);
        }
        if (_ownBundles is { Pending: true })
            await _ownBundles.PublishAsync(PublishOwnPartAsync, stop).ConfigureAwait(false);
    }

    // Own entry bundles are always retained (no live topic for entries).
    private Task<bool> PublishOwnPartAsync(string topic, byte[] payload, bool retain, CancellationToken stop) => PublishOwnAsync(topic, payload, stop);
}
