using EdgeCL.Core.Memory;
using EdgeCL.Storage.State;
using EdgeCL.Sync.Client;

namespace EdgeCL.Sync.Device;

/// <summary>Settings of a <see cref="FleetDevice"/>.</summary>
public sealed record FleetDeviceOptions
{
    /// <summary>The device's SQLite state file (created when missing; its folder must exist).</summary>
    public required string StatePath { get; init; }

    /// <summary>Fleet, device id, embedding space and broker; the state file must belong to the same device and space.</summary>
    public required FleetSyncOptions Sync { get; init; }

    /// <summary>Settings of the local memory and of the fleet prototypes built from the merged state. Default: <see cref="PrototypeMemoryOptions.Default"/>.</summary>
    public PrototypeMemoryOptions Memory { get; init; } = PrototypeMemoryOptions.Default;

    /// <summary>Settings of the state store; null for the defaults.</summary>
    public StateStoreOptions? Store { get; init; }

    /// <summary>Checks every setting.</summary>
    /// <exception cref="ArgumentException">A setting is invalid.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(StatePath))
            throw new ArgumentException("The device's StatePath is empty; give a file path such as /var/lib/edgecl/state.db.");
        ArgumentNullException.ThrowIfNull(Sync);
        Sync.Validate();
        ArgumentNullException.ThrowIfNull(Memory);
        Memory.Validate();
        Store?.Validate();
    }
}
