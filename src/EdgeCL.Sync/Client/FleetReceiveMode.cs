namespace EdgeCL.Sync.Client;

/// <summary>What a device subscribes to (docs/fleet-aggregation.md).</summary>
public enum FleetReceiveMode
{
    /// <summary>Every device's entry of every class: devices × classes messages and signature checks per device.</summary>
    Entries,

    /// <summary>The aggregators' per-class aggregates and this device's receipts: classes × aggregators messages.</summary>
    Aggregates,
}
