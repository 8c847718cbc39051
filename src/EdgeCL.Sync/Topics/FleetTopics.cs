namespace EdgeCL.Sync.Topics;

/// <summary>Builds and parses the v1 MQTT topics of design.md §3.</summary>
/// <remarks>
/// <code>
/// edgecl/v1/{fleet}/{space}/proto/{device}/{class}   retained, QoS 1, one entry per message
/// edgecl/v1/{fleet}/{space}/protos/{device}/{part}   retained, QoS 1: the same entries as a snapshot (s0, …) and a delta (d0, …)
/// edgecl/v1/{fleet}/status/{device}                  retained birth / last will
/// edgecl/v1/{fleet}/cmd/{device}                     a command (QoS 1, not retained; the older form, still obeyed)
/// edgecl/v1/{fleet}/cmd/{device}/{id}                one command, often retained until its device acknowledges it
/// edgecl/v1/{fleet}/{space}/agg/{aggregator}/{class} retained, QoS 1: an aggregator's merge of one class
/// edgecl/v1/{fleet}/{space}/rcpt/{aggregator}/{device} retained, QoS 1: which own versions its aggregates include
/// edgecl/v1/{fleet}/{space}/aggs/{aggregator}/{part} retained, QoS 1: its aggregates as a snapshot (s0, s1, …) and a
///                                                     delta since the snapshot (d0, …), several per message
/// edgecl/v1/{fleet}/{space}/aggs-live/{aggregator}/cycle not retained, QoS 1: each publish cycle's aggregates
/// </code>
/// Class labels are percent-encoded by <see cref="TopicSegment.EncodeLabel"/>; fleet, space and device go in verbatim and
/// must be topic-safe identifiers (the space id is lower-case hex). A space id can never be <c>status</c> or <c>cmd</c>,
/// so the three families cannot collide.
/// </remarks>
public static class FleetTopics
{
    /// <summary>The first two levels of every topic.</summary>
    public const string Root = "edgecl/v1";

    /// <summary>The topic of one device's entry for one class.</summary>
    /// <exception cref="ArgumentException">An identifier is not topic-safe, or the label is empty.</exception>
    public static string Prototype(string fleet, string spaceId, string device, string label)
    {
        TopicSegment.EnsureIdentifier(fleet, "Fleet");
        TopicSegment.EnsureIdentifier(spaceId, "Space id");
        TopicSegment.EnsureIdentifier(device, "Device id");
        return $"{Root}/{fleet}/{spaceId}/proto/{device}/{TopicSegment.EncodeLabel(label)}";
    }

    /// <summary>The filter that receives every entry of one space in one fleet.</summary>
    public static string PrototypeFilter(string fleet, string spaceId)
    {
        TopicSegment.EnsureIdentifier(fleet, "Fleet");
        TopicSegment.EnsureIdentifier(spaceId, "Space id");
        return $"{Root}/{fleet}/{spaceId}/proto/#";
    }

    /// <summary>The filter that receives every entry of every space in one fleet (fleet-wide views).</summary>
    public static string AllPrototypesFilter(string fleet)
    {
        TopicSegment.EnsureIdentifier(fleet, "Fleet");
        return $"{Root}/{fleet}/+/proto/#";
    }

    /// <summary>The topic of one part of a device's entry bundles: <c>s{i}</c> (snapshot) or <c>d{i}</c> (delta).</summary>
    public static string PrototypeBundle(string fleet, string spaceId, string device, bool snapshot, int part) =>
        Bundle(fleet, spaceId, "protos", device, "Device id", snapshot, part);

    /// <summary>The filter that receives every device's entry bundles of one space.</summary>
    public static string PrototypeBundleFilter(string fleet, string spaceId) => Family(fleet, spaceId, "protos") + "/#";

    /// <summary>The filter that receives one device's own entry bundles.</summary>
    public static string OwnPrototypeBundleFilter(string fleet, string spaceId, string device) => Writer(fleet, spaceId, "protos", device, "Device id") + "/#";

    /// <summary>The filter that receives every entry bundle of every space in one fleet (fleet-wide views).</summary>
    public static string AllPrototypeBundlesFilter(string fleet)
    {
        TopicSegment.EnsureIdentifier(fleet, "Fleet");
        return $"{Root}/{fleet}/+/protos/#";
    }

    /// <summary>The topic of one aggregator's aggregate of one class.</summary>
    public static string Aggregate(string fleet, string spaceId, string aggregator, string label)
    {
        TopicSegment.EnsureIdentifier(fleet, "Fleet");
        TopicSegment.EnsureIdentifier(spaceId, "Space id");
        TopicSegment.EnsureIdentifier(aggregator, "Aggregator id");
        return $"{Root}/{fleet}/{spaceId}/agg/{aggregator}/{TopicSegment.EncodeLabel(label)}";
    }

    /// <summary>The filter that receives every aggregate of one space.</summary>
    public static string AggregateFilter(string fleet, string spaceId)
    {
        TopicSegment.EnsureIdentifier(fleet, "Fleet");
        TopicSegment.EnsureIdentifier(spaceId, "Space id");
        return $"{Root}/{fleet}/{spaceId}/agg/#";
    }

    /// <summary>The topic of one part of an aggregator's bundles: <c>s{i}</c> (snapshot) or <c>d{i}</c> (delta), i &lt; <see cref="MaxBundleParts"/>.</summary>
    public static string AggregateBundle(string fleet, string spaceId, string aggregator, bool snapshot, int part) =>
        Bundle(fleet, spaceId, "aggs", aggregator, "Aggregator id", snapshot, part);

    private static string Bundle(string fleet, string spaceId, string family, string writer, string writerName, bool snapshot, int part)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(part);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(part, MaxBundleParts);
        return $"{Writer(fleet, spaceId, family, writer, writerName)}/{(snapshot ? 's' : 'd')}{part}";
    }

    // edgecl/v1/{fleet}/{space}/{family}, the identifiers checked.
    private static string Family(string fleet, string spaceId, string family)
    {
        TopicSegment.EnsureIdentifier(fleet, "Fleet");
        TopicSegment.EnsureIdentifier(spaceId, "Space id");
        return $"{Root}/{fleet}/{spaceId}/{family}";
    }

    // edgecl/v1/{fleet}/{space}/{family}/{writer}, the identifiers checked.
    private static string Writer(string fleet, string spaceId, string family, string writer, string writerName)
    {
        TopicSegment.EnsureIdentifier(writer, writerName);
        return $"{Family(fleet, spaceId, family)}/{writer}";
    }

    /// <summary>Whether a bundle part name (s0, d3, …) is a snapshot part, and its index; false for anything else (live included).</summary>
    public static bool TryParseBundlePart(string? part, out bool snapshot, out int index)
    {
        snapshot = part is ['s', ..];
        index = -1;
        return part is not null && IsBundlePart(part) && int.TryParse(part.AsSpan(1), out index);
    }

    /// <summary>The filter that receives every aggregator's bundles of one space.</summary>
    public static string AggregateBundleFilter(string fleet, string spaceId) => Family(fleet, spaceId, "aggs") + "/#";

    /// <summary>Most parts a snapshot or a delta may have (each up to <c>FleetBundleCodec.MaxPayloadBytes</c>).</summary>
    public const int MaxBundleParts = Core.Fleet.FleetBundleCodec.MaxParts;

    /// <summary>The part name a live bundle's topic parses to (<see cref="FleetTopic.Label"/>).</summary>
    public const string LivePart = "live";

    // A family of its own, so that a device's catch-up filter (aggs/{id}/+) does not also match the live bundles
    // (mosquitto delivers a message once per matching subscription).
    private const string LiveFamily = "aggs-live";

    /// <summary>The topic of an aggregator's live bundles (each cycle's aggregates, QoS 1, not retained):
    /// <c>edgecl/v1/{fleet}/{space}/aggs-live/{aggregator}/cycle</c>.</summary>
    public static string AggregateLive(string fleet, string spaceId, string aggregator) =>
        Writer(fleet, spaceId, LiveFamily, aggregator, "Aggregator id") + "/cycle";

    /// <summary>The filter that receives one aggregator's retained snapshot and delta: a device's catch-up subscription,
    /// dropped once it holds a complete set.</summary>
    public static string AggregatorBundlesFilter(string fleet, string spaceId, string aggregator) =>
        Writer(fleet, spaceId, "aggs", aggregator, "Aggregator id") + "/+";

    /// <summary>The topic of one aggregator's receipt for one device.</summary>
    public static string Receipt(string fleet, string spaceId, string aggregator, string device)
    {
        TopicSegment.EnsureIdentifier(fleet, "Fleet");
        TopicSegment.EnsureIdentifier(spaceId, "Space id");
        TopicSegment.EnsureIdentifier(aggregator, "Aggregator id");
        TopicSegment.EnsureIdentifier(device, "Device id");
        return $"{Root}/{fleet}/{spaceId}/rcpt/{aggregator}/{device}";
    }

    /// <summary>The filter that receives every aggregator's receipt for one device.</summary>
    public static string ReceiptFilter(string fleet, string spaceId, string device) =>
        Receipt(fleet, spaceId, "x", device).Replace("/rcpt/x/", "/rcpt/+/", StringComparison.Ordinal);

    /// <summary>The retained status (birth / last will) topic of one device.</summary>
    public static string Status(string fleet, string device)
    {
        TopicSegment.EnsureIdentifier(fleet, "Fleet");
        TopicSegment.EnsureIdentifier(device, "Device id");
        return $"{Root}/{fleet}/status/{device}";
    }

    /// <summary>The filter that receives every device's status in one fleet.</summary>
    public static string StatusFilter(string fleet)
    {
        TopicSegment.EnsureIdentifier(fleet, "Fleet");
        return $"{Root}/{fleet}/status/+";
    }

    /// <summary>The command topic of one device.</summary>
    public static string Command(string fleet, string device)
    {
        TopicSegment.EnsureIdentifier(fleet, "Fleet");
        TopicSegment.EnsureIdentifier(device, "Device id");
        return $"{Root}/{fleet}/cmd/{device}";
    }

    /// <summary>The topic of one command (<paramref name="id"/> is its nonce): each pending command has its own retained
    /// slot, so a second command to an offline device does not replace the first.</summary>
    public static string Command(string fleet, string device, string id)
    {
        TopicSegment.EnsureIdentifier(id, "Command id");
        return $"{Command(fleet, device)}/{id}";
    }

    /// <summary>The filter a device subscribes to for its commands sent with an id.</summary>
    public static string CommandsWithIdFilter(string fleet, string device) => Command(fleet, device) + "/+";

    /// <summary>The filter that receives every command of one fleet (operators' views).</summary>
    public static string AllCommandsFilter(string fleet)
    {
        TopicSegment.EnsureIdentifier(fleet, "Fleet");
        return $"{Root}/{fleet}/cmd/#";
    }

    /// <summary>Parses a v1 topic; false for anything that is not exactly one of the forms above.</summary>
    public static bool TryParse(string? topic, out FleetTopic parsed)
    {
        parsed = null!;
        if (string.IsNullOrEmpty(topic) || !topic.StartsWith(Root + "/", StringComparison.Ordinal))
            return false;
        string[] levels = topic[(Root.Length + 1)..].Split('/');
        if (levels.Length < 3 || !TopicSegment.IsValidIdentifier(levels[0]))
            return false;
        string fleet = levels[0];
        if (levels.Length == 3 && levels[1] is "status" or "cmd")
        {
            if (!TopicSegment.IsValidIdentifier(levels[2]))
                return false;
            parsed = new FleetTopic(levels[1] == "status" ? FleetTopicKind.Status : FleetTopicKind.Command, fleet, levels[2]);
            return true;
        }
        if (levels.Length == 4 && levels[1] == "cmd" && TopicSegment.IsValidIdentifier(levels[2]) && TopicSegment.IsValidIdentifier(levels[3]))
        {
            parsed = new FleetTopic(FleetTopicKind.Command, fleet, levels[2], CommandId: levels[3]);
            return true;
        }
        if (levels.Length != 5 || !TopicSegment.IsValidIdentifier(levels[1]) || !TopicSegment.IsValidIdentifier(levels[3]))
            return false;
        if (levels[2] is "proto" or "agg" && TopicSegment.TryDecodeLabel(levels[4], out string label))
        {
            parsed = new FleetTopic(levels[2] == "proto" ? FleetTopicKind.Prototype : FleetTopicKind.Aggregate, fleet, levels[3], levels[1], label);
            return true;
        }
        if (levels[2] is "aggs" or "protos" && IsBundlePart(levels[4]))
        {
            parsed = new FleetTopic(levels[2] == "aggs" ? FleetTopicKind.AggregateBundle : FleetTopicKind.PrototypeBundle, fleet, levels[3], levels[1], levels[4]);
            return true;
        }
        if (levels[2] == LiveFamily && levels[4] == "cycle")
        {
            parsed = new FleetTopic(FleetTopicKind.AggregateBundle, fleet, levels[3], levels[1], LivePart);
            return true;
        }
        if (levels[2] == "rcpt" && TopicSegment.IsValidIdentifier(levels[4]))
        {
            parsed = new FleetTopic(FleetTopicKind.Receipt, fleet, levels[3], levels[1], Recipient: levels[4]);
            return true;
        }
        return false;
    }

    // s0 … s9999 or d0 … d9999, without leading zeros, so each part has one name.
    private static bool IsBundlePart(string level)
    {
        if (level.Length is < 2 or > 5 || level[0] is not ('s' or 'd') || (level[1] == '0' && level.Length > 2))
            return false;
        for (int i = 1; i < level.Length; i++)
            if (level[i] is < '0' or > '9')
                return false;
        return true;
    }
}
