using System.Buffers.Binary;
using System.Text;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Fleet.Aggregation;
using EdgeCL.Core.Fleet.Signing;
using EdgeCL.Storage.Files;
using EdgeCL.Sync.Client;
using EdgeCL.Sync.State;

namespace EdgeCL.Sync.Device;

/// <summary>
/// A device's aggregate view (aggregate mode, docs/fleet-aggregation.md) and the signed payloads behind it, kept in one
/// file beside the state database so that an offline restart still knows the fleet's classes.
/// </summary>
/// <remarks>
/// <code>
///   "EDGECL-AGGREGATES-1\n"   then records: 1 kind (1 aggregate, 2 receipt)   4 length (int32 LE)   the signed payload
/// </code>
/// Written whole and atomically (temp file, fsync, rename, fsync of the folder). Every payload is verified again on load:
/// the file sits outside the database, so nothing in it is trusted for having been written by this device.
/// </remarks>
internal sealed class AggregateFile
{
    private const string Magic = "EDGECL-AGGREGATES-1\n";
    private const byte AggregateRecord = 1, ReceiptRecord = 2;

    private readonly Dictionary<string, byte[]> _aggregates = new(StringComparer.Ordinal); // "aggregator/label" → payload
    private readonly Dictionary<string, byte[]> _receipts = new(StringComparer.Ordinal); // aggregator → payload
    private readonly Lock _gate = new();

    private AggregateFile(string path, AggregateStateTarget target)
    {
        Path = path;
        Target = target;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>The view the sync client merges into.</summary>
    public AggregateStateTarget Target { get; }

    /// <summary>Records held.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
                return _aggregates.Count + _receipts.Count;
        }
    }

    /// <summary>Opens the file of <paramref name="statePath"/> (none yet: an empty view) and merges every record that verifies.</summary>
    /// <param name="statePath">The device's state database; the file is beside it.</param>
    /// <param name="sync">The device's sync settings (space, id, aggregator keys).</param>
    /// <param name="problem">Why some or all of the file was ignored, or null.</param>
    public static AggregateFile Load(string statePath, FleetSyncOptions sync, out string? problem)
    {
        var file = new AggregateFile(FleetDevice.AggregatesPath(statePath), new AggregateStateTarget(new AggregateView(sync.Space, sync.DeviceId, sync.MergePolicy)));
        problem = null;
        byte[] bytes;
        try
        {
            if (!File.Exists(file.Path))
                return file;
            bytes = File.ReadAllBytes(file.Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = ex.Message;
            return file;
        }
        if (bytes.Length < Magic.Length || Encoding.ASCII.GetString(bytes, 0, Magic.Length) != Magic)
        {
            problem = "not an aggregates file";
            return file;
        }
        int at = Magic.Length, rejected = 0, otherPolicy = 0;
        var roots = new VerifiedRootCache(); // the records of one aggregator cycle share a batch root: one check each

        while (at + 5 <= bytes.Length)
        {
            byte kind = bytes[at];
            int length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at + 1));
            if (length < 0 || at + 5 + length > bytes.Length)
            {
                problem = "its last record is torn";
                break;
            }
            byte[] payload = bytes.AsSpan(at + 5, length).ToArray();
            at += 5 + length;
            if (file.TryMerge(kind, payload, sync, roots))
                continue;
            // The merge policy was changed since the file was written: those aggregates no longer apply (the aggregators of the new policy republish).
            if (kind == AggregateRecord && FleetAggregateCodec.TryDecode(payload, out FleetAggregate? stale, out _) && stale.Policy != sync.MergePolicy)
                otherPolicy++;
            else
                rejected++;
        }
        if (rejected > 0)
            problem = $"{rejected} record(s) did not verify";
        if (otherPolicy > 0)
            problem = (problem is null ? "" : problem + "; ") + $"{otherPolicy} aggregate(s) were built under another merge policy than this device's ({sync.MergePolicy})";
        return file;
    }

    /// <summary>Keeps the payload of an aggregate or receipt the client just merged.</summary>
    public void Record(FleetAggregateChangedEventArgs change)
    {
        lock (_gate)
        {
            if (change.Aggregate is { } a)
                _aggregates[$"{a.AggregatorId}/{a.Label}"] = change.Payload;
            else if (change.Receipt is { } r)
                _receipts[r.AggregatorId] = change.Payload;
        }
    }

    /// <summary>Writes every held record atomically.</summary>
    /// <exception cref="IOException">The write failed (a full disk); the previous file is unchanged.</exception>
    public void Save()
    {
        byte[] bytes;
        lock (_gate)
        {
            bytes = new byte[Magic.Length + _aggregates.Values.Sum(p => 5 + p.Length) + _receipts.Values.Sum(p => 5 + p.Length)];
            int at = Encoding.ASCII.GetBytes(Magic, bytes);
            foreach (byte[] p in _aggregates.Values)
                at = Put(bytes, at, AggregateRecord, p);
            foreach (byte[] p in _receipts.Values)
                at = Put(bytes, at, ReceiptRecord, p);
        }
        AtomicFile.WriteAllBytes(Path, bytes);
    }

    private bool TryMerge(byte kind, byte[] payload, FleetSyncOptions sync, VerifiedRootCache roots)
    {
        TrustStore? keys = sync.AggregatorKeys;
        if (keys is null)
            return false;
        switch (kind)
        {
            // Records of another space (a migrated state's old aggregates) or another device are dropped, not kept.
            case AggregateRecord when FleetAggregateCodec.TryDecode(payload, out FleetAggregate? a, out _) && keys.VerifyPayload(a.AggregatorId, payload, roots) == SignatureStatus.Valid
                && Target.MergeAggregate(a) is FleetMergeOutcome.Applied or FleetMergeOutcome.Duplicate:
                Record(new FleetAggregateChangedEventArgs(a, null, payload));
                return true;
            case ReceiptRecord when AggregateReceiptCodec.TryDecode(payload, out AggregateReceipt? r, out _) && r.DeviceId == sync.DeviceId && keys.VerifyPayload(r.AggregatorId, payload, roots) == SignatureStatus.Valid
                && Target.MergeReceipt(r) is FleetMergeOutcome.Applied or FleetMergeOutcome.Duplicate:
                Record(new FleetAggregateChangedEventArgs(null, r, payload));
                return true;
            default:
                return false;
        }
    }

    private static int Put(byte[] bytes, int at, byte kind, byte[] payload)
    {
        bytes[at] = kind;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at + 1), payload.Length);
        payload.CopyTo(bytes, at + 5);
        return at + 5 + payload.Length;
    }
}
