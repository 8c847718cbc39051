using EdgeCL.Sync.Client;

namespace EdgeCL.Sync.Aggregation;

/// <summary>Settings of one <see cref="FleetAggregator"/>.</summary>
public sealed record FleetAggregatorOptions
{
    /// <summary>The aggregator's MQTT settings: fleet, its own id (the device id of its topics and key), space and broker.</summary>
    public required FleetSyncOptions Sync { get; init; }

    /// <summary>A class is republished once no entry of it arrived for this long... Default 100 ms.</summary>
    public TimeSpan Quiet { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>... or at the latest this long after its first unpublished change, however busy it is; doubled (up to
    /// <see cref="MaxHold"/>) each time a class is published while still changing. Default 1 s.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// While more than this many received entries wait to be verified, or were merged in one of the last two quarter seconds, the
    /// aggregator is catching up (a rebirth storm, a restart) and every aggregate it would publish is already out of date:
    /// it publishes a changing class only after <see cref="MaxHold"/>. Default 256.
    /// </summary>
    public int CatchingUpBacklog { get; init; } = 256;

    /// <summary>The longest a changed class waits: while the aggregator is catching up, and the cap of a busy class's doubling wait. Default 30 s.</summary>
    public TimeSpan MaxHold { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Sign each publish cycle's aggregates once and its receipts once (default), or, when false, every aggregate and
    /// receipt alone: the format builds without batch signatures read. For a rollout, upgrade the aggregators with this
    /// off, then the devices, then turn it on (docs/fleet-aggregation.md, Batch signatures).
    /// </summary>
    public bool BatchSignatures { get; init; } = true;

    /// <summary>Publishes in flight at once. Default 32.</summary>
    public int PublishConcurrency { get; init; } = 32;

    /// <summary>Checks every setting.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Sync);
        Sync.Validate();
        if (Sync.Receive != FleetReceiveMode.Entries)
            throw new ArgumentException($"Aggregator '{Sync.DeviceId}' must receive entries, not aggregates.");
        if (Quiet < TimeSpan.Zero || MaxDelay < Quiet)
            throw new ArgumentException($"Aggregator timing: Quiet ({Quiet}) must be >= 0 and MaxDelay ({MaxDelay}) >= Quiet.");
        if (CatchingUpBacklog < 0 || MaxHold < MaxDelay)
            throw new ArgumentException($"Aggregator catch-up: CatchingUpBacklog ({CatchingUpBacklog}) must be >= 0 and MaxHold ({MaxHold}) >= MaxDelay ({MaxDelay}).");
        if (PublishConcurrency < 1)
            throw new ArgumentException($"PublishConcurrency {PublishConcurrency} must be >= 1.");
    }
}
