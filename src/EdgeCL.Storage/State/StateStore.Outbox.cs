using EdgeCL.Core.Errors;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;
using EdgeCL.Storage.Errors;
using EdgeCL.Storage.Files;
using Microsoft.Data.Sqlite;

namespace EdgeCL.Storage.State;

/// <summary>The sync outbox: messages written in the same transaction as the change they announce, read and acknowledged by the sender.</summary>
public sealed partial class StateStore
{
    /// <summary>Appends messages to the outbox alone, in one transaction, for announcements of changes that are already stored.</summary>
    /// <returns>The sequence numbers given to <paramref name="payloads"/>, in order.</returns>
    /// <exception cref="ArgumentException">A payload is null, empty or larger than <see cref="FleetLimits.MaxPayloadBytes"/>; nothing was written.</exception>
    /// <exception cref="StateStoreException">The disk is full or SQLite fails; nothing was written.</exception>
    public IReadOnlyList<long> AppendOutbox(IEnumerable<byte[]> payloads)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(payloads);
        byte[][] batch = payloads.ToArray();
        foreach (byte[] payload in batch)
        {
            if (payload is null || payload.Length == 0 || payload.Length > FleetLimits.MaxPayloadBytes)
                throw new ArgumentException(
                    $"An outbox payload is {(payload is null ? "null" : $"{payload.Length} bytes")}; payloads must be 1..{FleetLimits.MaxPayloadBytes} bytes.", nameof(payloads));
        }
        try
        {
            using SqliteTransaction transaction = BeginWrite();
            long[] sequences = InsertOutbox(transaction, batch);
            transaction.Commit();
            return sequences;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, "committing to");
        }
    }

    /// <summary>Number of messages waiting in the outbox.</summary>
    /// <exception cref="StateStoreException">SQLite fails.</exception>
    public long OutboxCount
    {
        get
        {
            ThrowIfDisposed();
            try
            {
                return (long)Scalar("SELECT count(*) FROM outbox")!;
            }
            catch (SqliteException ex)
            {
                throw Translate(ex, "reading");
            }
        }
    }

    /// <summary>The oldest messages still waiting in the outbox, oldest first.</summary>
    /// <param name="limit">Most messages to return (1..100,000). Default 256.</param>
    /// <exception cref="StateStoreException">SQLite fails.</exception>
    public IReadOnlyList<OutboxMessage> PendingOutbox(int limit = 256)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 100_000);
        try
        {
            var messages = new List<OutboxMessage>();
            using SqliteCommand command = Command("SELECT seq, payload, created FROM outbox ORDER BY seq LIMIT $n");
            command.Parameters.AddWithValue("$n", limit);
            using SqliteDataReader reader = command.ExecuteReader();
            while (reader.Read())
                messages.Add(new OutboxMessage(reader.GetInt64(0), (byte[])reader.GetValue(1), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2))));
            return messages;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, "reading");
        }
    }

    /// <summary>Removes one delivered message from the outbox (after the broker acknowledged it).</summary>
    /// <returns>False when no message had this sequence number (already acknowledged).</returns>
    /// <exception cref="StateStoreException">SQLite fails.</exception>
    public bool AcknowledgeOutbox(long sequence) => AcknowledgeOutbox([sequence]) == 1;

    /// <summary>Removes several delivered messages from the outbox in one transaction (one disk flush).</summary>
    /// <returns>How many messages were removed.</returns>
    /// <exception cref="StateStoreException">SQLite fails.</exception>
    public int AcknowledgeOutbox(IEnumerable<long> sequences)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(sequences);
        try
        {
            using SqliteTransaction transaction = BeginWrite();
            using SqliteCommand delete = Command("DELETE FROM outbox WHERE seq = $s", transaction);
            SqliteParameter s = delete.Parameters.Add("$s", SqliteType.Integer);
            int removed = 0;
            foreach (long sequence in sequences)
            {
                s.Value = sequence;
                removed += delete.ExecuteNonQuery();
            }
            transaction.Commit();
            return removed;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, "acknowledging in");
        }
    }

    // Appends payloads to the outbox inside the caller's transaction; returns their sequence numbers in order.
    private long[] InsertOutbox(SqliteTransaction transaction, byte[][] payloads)
    {
        var sequences = new long[payloads.Length];
        if (payloads.Length == 0)
            return sequences;
        long created = _options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        using SqliteCommand insert = Command("INSERT INTO outbox (payload, created) VALUES ($p, $c) RETURNING seq", transaction);
        SqliteParameter p = insert.Parameters.Add("$p", SqliteType.Blob);
        insert.Parameters.AddWithValue("$c", created);
        for (int i = 0; i < payloads.Length; i++)
        {
            p.Value = payloads[i];
            sequences[i] = (long)insert.ExecuteScalar()!;
        }
        return sequences;
    }
}
