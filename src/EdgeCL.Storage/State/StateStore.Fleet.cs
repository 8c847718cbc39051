using EdgeCL.Core.Errors;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;
using EdgeCL.Storage.Errors;
using EdgeCL.Storage.Files;
using Microsoft.Data.Sqlite;

namespace EdgeCL.Storage.State;

/// <summary>Fleet entries received from other devices: stored with their signed payloads, loaded back into a fleet state.</summary>
public sealed partial class StateStore
{
    /// <summary>Stores a received fleet entry if it supersedes the stored one for its (device, label) (same rule as <see cref="FleetState.Merge(FleetEntry)"/>).</summary>
    /// <param name="entry">A valid entry of this store's space.</param>
    /// <param name="payload">The signed payload it was decoded from, kept so that it can be verified again or relayed; it must decode to <paramref name="entry"/>. Null when there is none.</param>
    /// <returns>True when stored; false when the stored entry is the same or newer.</returns>
    /// <exception cref="ArgumentException">The entry is invalid or of another space, or the payload does not decode to it.</exception>
    /// <exception cref="StateStoreException">The disk is full or SQLite fails; nothing was written.</exception>
    public bool SaveFleetEntry(FleetEntry entry, byte[]? payload = null) => SaveFleetEntries([new StoredFleetEntry(entry, payload)]) == 1;

    /// <summary>Stores several received fleet entries in one transaction (one disk flush); each is kept only if it supersedes the stored one.</summary>
    /// <returns>How many were stored.</returns>
    /// <exception cref="ArgumentException">An entry is invalid or of another space, or a payload does not decode to its entry; nothing was written.</exception>
    /// <exception cref="StateStoreException">The disk is full or SQLite fails; nothing was written.</exception>
    public int SaveFleetEntries(IEnumerable<StoredFleetEntry> entries)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(entries);
        StoredFleetEntry[] batch = entries.ToArray();
        foreach (StoredFleetEntry item in batch)
            EnsureStorable(item);
        try
        {
            using SqliteTransaction transaction = BeginWrite();
            using SqliteCommand select = Command("SELECT version, count, mean FROM fleet_entries WHERE device = $d AND label = $l", transaction);
            SqliteParameter sd = select.Parameters.Add("$d", SqliteType.Text);
            SqliteParameter sl = select.Parameters.Add("$l", SqliteType.Text);
            using SqliteCommand upsert = Command(
                """
                INSERT INTO fleet_entries (device, label, version, count, mean, signature, payload) VALUES ($d, $l, $v, $n, $m, $s, $p)
                ON CONFLICT (device, label) DO UPDATE SET version = excluded.version, count = excluded.count, mean = excluded.mean,
                    signature = excluded.signature, payload = excluded.payload
                """, transaction);
            int stored = 0;
            foreach (StoredFleetEntry item in batch)
            {
                FleetEntry e = item.Entry;
                sd.Value = e.DeviceId;
                sl.Value = e.Label;
                FleetEntry? held = null;
                using (SqliteDataReader reader = select.ExecuteReader())
                {
                    if (reader.Read())
                        held = ReadFleetEntry(e.DeviceId, e.Label, reader.GetInt64(0), reader.GetInt64(1), (byte[])reader.GetValue(2));
                }
                if (held is not null && !FleetEntryOrder.Supersedes(e, held))
                    continue;
                upsert.Parameters.Clear();
                upsert.Parameters.AddWithValue("$d", e.DeviceId);
                upsert.Parameters.AddWithValue("$l", e.Label);
                upsert.Parameters.AddWithValue("$v", e.Version);
                upsert.Parameters.AddWithValue("$n", e.Count);
                upsert.Parameters.AddWithValue("$m", FloatBlob.ToBytes(e.Mean));
                upsert.Parameters.AddWithValue("$s", item.Payload is null ? DBNull.Value : FleetEntryCodec.Signature(item.Payload).ToArray());
                upsert.Parameters.AddWithValue("$p", (object?)item.Payload ?? DBNull.Value);
                upsert.ExecuteNonQuery();
                stored++;
            }
            transaction.Commit();
            return stored;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, "committing to");
        }
    }

    /// <summary>Every stored fleet entry received from the fleet, with its payload, ordered by label then device.</summary>
    /// <exception cref="StateStoreException">A row is damaged, or SQLite fails.</exception>
    public IReadOnlyList<StoredFleetEntry> LoadFleetEntries()
    {
        ThrowIfDisposed();
        try
        {
            var entries = new List<StoredFleetEntry>();
            using SqliteCommand command = Command("SELECT device, label, version, count, mean, payload FROM fleet_entries ORDER BY label, device");
            using SqliteDataReader reader = command.ExecuteReader();
            while (reader.Read())
            {
                FleetEntry entry = ReadFleetEntry(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), (byte[])reader.GetValue(4));
                entries.Add(new StoredFleetEntry(entry, reader.IsDBNull(5) ? null : (byte[])reader.GetValue(5)));
            }
            return entries;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, "reading");
        }
    }

    /// <summary>Rebuilds the fleet state: every stored fleet entry, plus (by default) this device's own entries derived from its stored classes and tombstones.</summary>
    /// <remarks>Local classes whose labels the fleet cannot carry (over <see cref="FleetLimits.MaxLabelBytes"/> UTF-8 bytes) are left out.</remarks>
    /// <param name="includeOwnEntries">Also this device's own entries.</param>
    /// <param name="policy">How the returned state's reads weigh each device (<see cref="FleetState.Policy"/>).</param>
    /// <exception cref="StateStoreException">A row is damaged, or SQLite fails.</exception>
    public FleetState LoadFleetState(bool includeOwnEntries = true, FleetMergePolicy policy = default)
    {
        var state = new FleetState(Space, policy);
        foreach (StoredFleetEntry stored in LoadFleetEntries())
            state.Merge(stored.Entry);
        if (!includeOwnEntries)
            return state;
        try
        {
            // Own entries come straight from the rows, so no PrototypeMemoryOptions limit can hide one.
            using (SqliteCommand command = Command("SELECT label, count, version, mean FROM prototypes"))
            using (SqliteDataReader reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    string label = reader.GetString(0);
                    float[] mean = FloatBlob.TryRead((byte[])reader.GetValue(3), Space.Dimension)
                        ?? throw Corrupt($"the mean of class '{label}' has the wrong length or NaN");
                    // A local label the fleet cannot carry (over FleetLimits.MaxLabelBytes) is refused by Merge and stays local.
                    state.Merge(new FleetEntry { SpaceId = Space.Id, DeviceId = DeviceId, Label = label, Version = reader.GetInt64(2), Count = reader.GetInt64(1), Mean = mean });
                }
            }
            using (SqliteCommand command = Command("SELECT label, version FROM tombstones"))
            using (SqliteDataReader reader = command.ExecuteReader())
            {
                while (reader.Read())
                    state.Merge(new FleetEntry { SpaceId = Space.Id, DeviceId = DeviceId, Label = reader.GetString(0), Version = reader.GetInt64(1), Count = 0, Mean = [] });
            }
            return state;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, "reading");
        }
    }
}
