using EdgeCL.Core.Vectors;
using EdgeCL.Sync.Topics;

namespace EdgeCL.Sync.Client;

/// <summary>Settings of one <see cref="FleetSyncClient"/>.</summary>
public sealed record FleetSyncOptions
{
    /// <summary>The fleet (first topic level after <c>edgecl/v1</c>).</summary>
    public required string Fleet { get; init; }

    /// <summary>This device's id: MQTT client id, user name / certificate CN, and the device level of its topics.</summary>
    public required string DeviceId { get; init; }

    /// <summary>The embedding space this device learns in; entries of other spaces are dropped.</summary>
    public required EmbeddingSpace Space { get; init; }

    /// <summary>The broker.</summary>
    public required FleetBrokerOptions Broker { get; init; }

    /// <summary>Deadline of one connect attempt (TCP, TLS and CONNACK). Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Deadline of one publish, subscribe or ping. Default 10 s.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>MQTT keep-alive. Default 15 s.</summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the connection loop pings an idle connection to notice a dead broker. Default 5 s.</summary>
    public TimeSpan HealthCheckInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>First reconnect delay; doubles per failure up to <see cref="MaxReconnectDelay"/>. Default 250 ms.</summary>
    public TimeSpan MinReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Cap of the reconnect delay. Default 30 s.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the broker waits before publishing the last will (MQTT 5 will delay); 0 = at once.</summary>
    public TimeSpan WillDelay { get; init; } = TimeSpan.Zero;

    /// <summary>Largest accepted entry payload; bigger ones are dropped as <see cref="Payloads.SyncDropReason.Oversized"/>. Default 256 KiB.</summary>
    public int MaxPayloadBytes { get; init; } = 256 * 1024;

    /// <summary>Capacity of the receive queue between the MQTT handler and the merge consumer. Default 4096.</summary>
    public int ReceiveQueueCapacity { get; init; } = 4096;

    /// <summary>Publishes in flight at once while draining the outbox. Default 32.</summary>
    public int PublishConcurrency { get; init; } = 32;

    /// <summary>Also subscribe to every device's status topic (fleet views). Default true.</summary>
    public bool TrackDeviceStatus { get; init; } = true;

    /// <summary>
    /// Public keys of the operators whose signed commands this device acts on (<c>trust_dir/operators/&lt;name&gt;.pem</c>;
    /// not owned). Null or empty: every command is refused and counted (see <see cref="FleetSyncClient.CommandsRejected"/>).
    /// </summary>
    public Core.Fleet.TrustStore? OperatorKeys { get; init; }

    /// <summary>Where the nonces of accepted commands are kept until they expire, so a captured command cannot be replayed
    /// after a restart (the agent: <c>state_dir/command-nonces</c>); null keeps them in memory only.</summary>
    public string? CommandNoncePath { get; init; }

    /// <summary>
    /// What the device receives of the fleet: every device's entries (<see cref="FleetReceiveMode.Entries"/>, the default),
    /// or the aggregators' per-class aggregates and its own receipts (<see cref="FleetReceiveMode.Aggregates"/>; needs
    /// <see cref="AggregatorKeys"/> and a state target that is an <see cref="State.IFleetAggregateTarget"/>).
    /// </summary>
    public FleetReceiveMode Receive { get; init; } = FleetReceiveMode.Entries;

    /// <summary>
    /// Publish this device's own entries as retained bundles (<c>…/protos/{device}/…</c>: a snapshot and a delta, one
    /// message per flush; <c>sync.publish: "bundles"</c>) instead of one retained message per class (<c>…/proto/…</c>, the
    /// default, which builds from before bundles read). Every client of this build reads both. Turn it on once every
    /// device and aggregator of the fleet runs a build that reads bundles.
    /// </summary>
    public bool PublishBundles { get; init; }

    /// <summary>
    /// In <see cref="FleetReceiveMode.Aggregates"/> mode, receive the aggregators' bundles (<c>…/aggs/#</c>: a retained
    /// snapshot and a delta, several aggregates per message; the default) instead of one message per class
    /// (<c>…/agg/#</c>; <c>sync.receive: "aggregates-per-class"</c>, for aggregators built before bundles). Same content,
    /// same merge: bundles cost the broker and the device one delivery per publish cycle instead of one per class.
    /// </summary>
    public bool AggregateBundles { get; init; } = true;

    /// <summary>
    /// An aggregator's client: also subscribe to its own retained aggregate bundles (<c>…/aggs/{DeviceId}/+</c>), so that
    /// parts an earlier run left beyond the ones this run uses (a run with more parts: more classes, or before a snapshot
    /// shrank) are seen and cleared. Set by <see cref="Aggregation.FleetAggregator"/>.
    /// </summary>
    public bool WatchOwnAggregateBundles { get; init; }

    /// <summary>Public keys of the aggregators whose aggregates and receipts this device accepts (<c>trust_dir/aggregators/&lt;id&gt;.pem</c>; not owned).</summary>
    public Core.Fleet.TrustStore? AggregatorKeys { get; init; }

    /// <summary>
    /// How the fleet's class means weigh each device (<c>sync.max_examples_per_device</c>, <c>sync.max_mean_norm</c>): by
    /// count (the default), or capped per device and norm-bounded so that one compromised device claiming a huge count or
    /// an inflated vector cannot dominate a class. Every device and
    /// aggregator of a fleet must use the same; aggregates built under another are dropped as
    /// <see cref="Payloads.SyncDropReason.PolicyMismatch"/>.
    /// </summary>
    public Core.Fleet.FleetMergePolicy MergePolicy { get; init; }

    /// <summary>Checks every setting.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        TopicSegment.EnsureIdentifier(Fleet, "Fleet");
        TopicSegment.EnsureIdentifier(DeviceId, "Device id");
        if (DeviceId is "proto" or "status" or "cmd")
            throw new ArgumentException($"Device id '{DeviceId}' is a reserved topic word; choose another id.");
        ArgumentNullException.ThrowIfNull(Space);
        Space.Validate();
        ArgumentNullException.ThrowIfNull(Broker);
        Broker.Validate();
        if (Broker.UserName is not null && Broker.UserName != DeviceId)
            throw new ArgumentException($"Broker user name '{Broker.UserName}' differs from device id '{DeviceId}'; the ACL lets a device write only under its own id, so use the device id as user name.");
        Positive(ConnectTimeout, nameof(ConnectTimeout));
        Positive(OperationTimeout, nameof(OperationTimeout));
        Positive(HealthCheckInterval, nameof(HealthCheckInterval));
        Positive(MinReconnectDelay, nameof(MinReconnectDelay));
        if (MaxReconnectDelay < MinReconnectDelay)
            throw new ArgumentException($"MaxReconnectDelay ({MaxReconnectDelay}) is below MinReconnectDelay ({MinReconnectDelay}).");
        if (KeepAlive < TimeSpan.FromSeconds(1) || KeepAlive > TimeSpan.FromSeconds(65535))
            throw new ArgumentException($"KeepAlive {KeepAlive} is out of range 1 s..65535 s.");
        if (WillDelay < TimeSpan.Zero || WillDelay.TotalSeconds > uint.MaxValue)
            throw new ArgumentException($"WillDelay {WillDelay} must be >= 0.");
        if (MaxPayloadBytes < 64)
            throw new ArgumentException($"MaxPayloadBytes {MaxPayloadBytes} is too small; an entry needs at least 64 bytes.");
        if (Receive == FleetReceiveMode.Aggregates && (AggregatorKeys is null || AggregatorKeys.Count == 0))
            throw new ArgumentException($"Device '{DeviceId}' receives aggregates but trusts no aggregator; put each aggregator's public key in trust_dir/aggregators/<id>.pem.");
        if (MergePolicy.Check() is { } policy)
            throw new ArgumentException($"MergePolicy: {policy}.");
        if (ReceiveQueueCapacity < 1 || PublishConcurrency < 1)
            throw new ArgumentException($"ReceiveQueueCapacity ({ReceiveQueueCapacity}) and PublishConcurrency ({PublishConcurrency}) must be >= 1.");
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
            throw new ArgumentException($"{name} must be positive, got {value}.");
    }
}
