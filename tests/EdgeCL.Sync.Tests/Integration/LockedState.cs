using EdgeCL.Core.Fleet;
using EdgeCL.Sync.State;

namespace EdgeCL.Sync.Tests.Integration;

/// <summary>An <see cref="InterimFleetState"/> that tests may read from any thread while the client merges.</summary>
public sealed class LockedState(string spaceId, int dimension) : IFleetStateTarget
{
    private readonly InterimFleetState _state = new(spaceId, dimension);
    private readonly Lock _lock = new();

    public bool Merge(FleetEntry entry)
    {
        lock (_lock)
            return _state.Merge(entry);
    }

    public string Digest()
    {
        lock (_lock)
            return _state.Digest();
    }

    public int EntryCount
    {
        get { lock (_lock) return _state.EntryCount; }
    }

    public FleetEntry[] Entries()
    {
        lock (_lock)
            return [.. _state.Entries];
    }
}
