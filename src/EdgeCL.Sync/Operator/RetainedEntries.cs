using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Topics;

namespace EdgeCL.Sync.Operator;

/// <summary>Operator tools' reading of retained entries (per-class topics and bundles): what verifies against the trust
/// folder is merged, the rest is described. Used by <c>edgecl fleet audit</c> and <c>edgecl fleet carry</c>.</summary>
public static class RetainedEntries
{
    /// <summary>Merges the entries of one retained message (an entry or an entry bundle; anything else is ignored)
    /// into <paramref name="state"/> when they verify; a refusal is added to <paramref name="refused"/> as one line.</summary>
    /// <returns>True when the message was an entry or an entry bundle of <paramref name="state"/>'s space.</returns>
    public static bool Take(string topicName, byte[] payload, FleetState state, TrustStore devices, List<string> refused)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(refused);
        if (payload.Length == 0 || !FleetTopics.TryParse(topicName, out FleetTopic topic) || topic.SpaceId != state.Space.Id
            || topic.Kind is not (FleetTopicKind.Prototype or FleetTopicKind.PrototypeBundle))
            return false;
        byte[][]? entries = [payload];
        if (topic.Kind == FleetTopicKind.PrototypeBundle && !FleetBundleCodec.TryDecode(payload, out entries, out FleetDecodeError bundleError))
        {
            refused.Add($"{topicName}: not an entry bundle ({bundleError})");
            return true;
        }
        foreach (byte[] entry in entries!)
        {
            FleetReceipt receipt = state.Receive(entry, devices);
            if (receipt.Outcome is not (FleetMergeOutcome.Applied or FleetMergeOutcome.Duplicate or FleetMergeOutcome.Stale or FleetMergeOutcome.Conflict))
                refused.Add($"{topicName}: {receipt.Outcome}");
        }
        return true;
    }
}
