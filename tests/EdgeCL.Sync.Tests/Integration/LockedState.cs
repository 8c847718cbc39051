using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Vectors;
using EdgeCL.Sync.State;

namespace EdgeCL.Sync.Tests.Integration;

/// <summary>A <see cref="FleetState"/> that tests may read from any thread while the client merges.</summary>
public sealed class LockedState(EmbeddingSpace space) : IFleetStateTarget
{
    private readonly FleetStateTarget _target = new(new FleetState(space));

    public FleetMergeOutcome Merge(FleetEntry entry) => _target.Merge(entry);

    public string Digest()
    {
        lock (_target.SyncRoot)
            return DigestOf(_target.State);
    }

    public int EntryCount
    {
        get { lock (_target.SyncRoot) return _target.State.EntryCount; }
    }

    public FleetEntry[] Entries()
    {
        lock (_target.SyncRoot)
            return [.. _target.State.Entries];
    }

    /// <summary>The merged fleet prototype of <paramref name="label"/> (see <see cref="FleetState.TryGetPrototype"/>), or null when no device holds it live.</summary>
    public float[]? Prototype(string label, out long count)
    {
        float[] mean = new float[_target.State.Space.Dimension];
        lock (_target.SyncRoot)
            return _target.State.TryGetPrototype(label, mean, out count, out _) ? mean : null;
    }

    /// <summary>SHA-256 over every (device, label, version, count, mean) in the state's order: equal digests mean identical states.</summary>
    public static string DigestOf(FleetState state)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> number = stackalloc byte[8];
        foreach (FleetEntry e in state.Entries.OrderBy(e => e.DeviceId, StringComparer.Ordinal).ThenBy(e => e.Label, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{e.DeviceId}\0{e.Label}\0"));
            BinaryPrimitives.WriteInt64LittleEndian(number, e.Version);
            hash.AppendData(number);
            BinaryPrimitives.WriteInt64LittleEndian(number, e.Count);
            hash.AppendData(number);
            hash.AppendData(MemoryMarshal.AsBytes(e.Mean.AsSpan()));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
