using EdgeCL.Sync.Topics;

namespace EdgeCL.Sync.Broker;

/// <summary>The per-device access rules, the same ones <c>ops/mosquitto/acl</c> gives mosquitto.</summary>
/// <remarks>
/// <code>
/// pattern write edgecl/v1/+/+/proto/%u/#     a device writes only its own entries (one per class, or in bundles)
/// pattern write edgecl/v1/+/+/protos/%u/#
/// pattern write edgecl/v1/+/status/%u        … and its own status (birth / will)
/// pattern read  edgecl/v1/+/+/proto/#        it reads every entry and every status of the fleet
/// pattern read  edgecl/v1/+/+/protos/#
/// pattern read  edgecl/v1/+/status/+
/// pattern read  edgecl/v1/+/cmd/%u           … and only its own commands
/// pattern read  edgecl/v1/+/cmd/%u/+
/// pattern write edgecl/v1/+/+/agg/%u/#      any client may aggregate under its own id (devices trust only the
/// pattern write edgecl/v1/+/+/aggs/%u/#     aggregators in their trust folder) ...
/// pattern write edgecl/v1/+/+/aggs-live/%u/#
/// pattern write edgecl/v1/+/+/rcpt/%u/+
/// pattern read  edgecl/v1/+/+/agg/#         ... every device reads every aggregate and bundle
/// pattern read  edgecl/v1/+/+/aggs/#
/// pattern read  edgecl/v1/+/+/aggs-live/#
/// pattern read  edgecl/v1/+/+/rcpt/+/%u     ... and only the receipts for itself
/// </code>
/// Operators read and write everything under <c>edgecl/</c>.
/// </remarks>
public static class FleetAcl
{
    /// <summary>Whether <paramref name="user"/> may publish on <paramref name="topic"/>.</summary>
    public static bool CanPublish(string? user, bool isOperator, string topic)
    {
        if (string.IsNullOrEmpty(user) || string.IsNullOrEmpty(topic))
            return false;
        if (isOperator)
            return topic.StartsWith("edgecl/", StringComparison.Ordinal);
        if (!FleetTopics.TryParse(topic, out FleetTopic parsed))
            return false;
        return parsed.Kind is FleetTopicKind.Prototype or FleetTopicKind.PrototypeBundle or FleetTopicKind.Status or FleetTopicKind.Aggregate or FleetTopicKind.AggregateBundle or FleetTopicKind.Receipt
            && parsed.Device == user;
    }

    /// <summary>Whether <paramref name="user"/> may subscribe to <paramref name="filter"/>.</summary>
    public static bool CanSubscribe(string? user, bool isOperator, string filter)
    {
        if (string.IsNullOrEmpty(user) || string.IsNullOrEmpty(filter))
            return false;
        string[] levels = filter.Split('/');
        if (isOperator)
            return levels[0] is "edgecl" or "#";
        if (levels.Length < 5 || levels[0] != "edgecl" || levels[1] != "v1" || !IsLevel(levels[2]))
            return false;
        // edgecl/v1/{fleet}/status/{device|+}
        if (levels.Length == 5 && levels[3] == "status")
            return IsLevel(levels[4]);
        // edgecl/v1/{fleet}/cmd/{own id}[/{command id|+}]
        if (levels[3] == "cmd")
            return levels[4] == user && (levels.Length == 5 || (levels.Length == 6 && IsLevel(levels[5])));
        if (!IsLevel(levels[3]) || levels[3] is "status" or "cmd")
            return false;
        // edgecl/v1/{fleet}/{space|+}/rcpt/{aggregator|+}/{own id}
        if (levels[4] == "rcpt")
            return levels.Length == 7 && IsLevel(levels[5]) && levels[6] == user;
        // edgecl/v1/{fleet}/{space|+}/proto[/…], …/protos[/…], …/agg[/…], …/aggs[/…] and …/aggs-live[/…]
        if (levels[4] is not ("proto" or "protos" or "agg" or "aggs" or "aggs-live"))
            return false;
        for (int i = 5; i < levels.Length; i++)
        {
            bool last = i == levels.Length - 1;
            if (levels[i] == "#" ? !last : levels[i].Contains('#'))
                return false;
        }
        return true;
    }

    private static bool IsLevel(string level) => level == "+" || TopicSegment.IsValidIdentifier(level);
}
