using EdgeCL.Core.Rollout;
using EdgeCL.Core.Vectors;
using EdgeCL.Storage.Errors;
using Microsoft.Data.Sqlite;

namespace EdgeCL.Storage.State;

/// <summary>
/// The exemplar store (raw inputs kept for a backbone rollout) in the state database: each <see cref="ExemplarChange"/> is one
/// transaction, so after a crash the table holds exactly the exemplars of some completed change.
/// </summary>
/// <remarks>Written after the learn it belongs to has been committed: a crash in between loses one exemplar (its example
/// still counts, and a rollout maps it with the rest), but never keeps an exemplar of an example that was not learned.</remarks>
public sealed partial class StateStore
{
    /// <summary>Loads the stored exemplars into a new store.</summary>
    /// <param name="options">The store settings (budget), or null for the defaults.</param>
    /// <exception cref="RolloutException">The stored exemplars exceed the budget (it was lowered since they were stored): nothing is loaded or changed.</exception>
    /// <exception cref="StateStoreException">A row is damaged, or SQLite fails.</exception>
    public ExemplarStore LoadExemplars(ExemplarStoreOptions? options = null)
    {
        ThrowIfDisposed();
        var store = new ExemplarStore(Space, options);
        if (!_hasExemplarsTable)
            return store; // a state from before exemplars were kept
        try
        {
            using SqliteCommand command = Command("SELECT sequence, label, input, embedding FROM exemplars ORDER BY sequence");
            using SqliteDataReader reader = command.ExecuteReader();
            while (reader.Read())
            {
                long sequence = reader.GetInt64(0);
                string label = reader.GetString(1);
                float[] embedding = FloatBlob.TryRead((byte[])reader.GetValue(3), Space.Dimension)
                    ?? throw Corrupt($"the embedding of exemplar {sequence} has the wrong length or NaN");
                store.Restore(new Exemplar(sequence, label, (byte[])reader.GetValue(2), embedding));
            }
            return store;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, "reading");
        }
    }

    /// <summary>Mirrors one <see cref="ExemplarStore.Add"/> (or a forget, as evictions alone) in one transaction.</summary>
    /// <exception cref="ArgumentException">The stored exemplar's embedding is not of this store's space.</exception>
    /// <exception cref="StateStoreException">The disk is full or SQLite fails; nothing was written.</exception>
    public void CommitExemplars(ExemplarChange change)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(change);
        if (change.Stored is { } stored && (stored.Embedding.Length != Space.Dimension || !VectorKernels.AllFinite(stored.Embedding)))
            throw new ArgumentException($"Exemplar {stored.Sequence} has {stored.Embedding.Length} values or NaN; this state is {Space}.", nameof(change));
        try
        {
            using SqliteTransaction transaction = BeginWrite();
            if (!_hasExemplarsTable)
                Execute(transaction, Schema.CreateExemplars);
            using (SqliteCommand delete = Command("DELETE FROM exemplars WHERE sequence = $s", transaction))
                foreach (long sequence in change.Evicted)
                    Run(delete, ("$s", sequence));
            if (change.Stored is { } exemplar)
                InsertExemplar(transaction, exemplar);
            transaction.Commit();
            _hasExemplarsTable = true;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, "committing to");
        }
    }

    /// <summary>Replaces every stored exemplar with <paramref name="store"/>'s, in one transaction (a migrated state).</summary>
    /// <exception cref="Core.Errors.EmbeddingException">The store belongs to another embedding space.</exception>
    /// <exception cref="StateStoreException">The disk is full or SQLite fails; nothing was written.</exception>
    public void ReplaceExemplars(ExemplarStore store)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(store);
        Space.EnsureSame(store.Space, "The exemplar store");
        try
        {
            using SqliteTransaction transaction = BeginWrite();
            if (!_hasExemplarsTable)
                Execute(transaction, Schema.CreateExemplars);
            Execute(transaction, "DELETE FROM exemplars");
            foreach (Exemplar exemplar in store.All())
                InsertExemplar(transaction, exemplar);
            transaction.Commit();
            _hasExemplarsTable = true;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, "committing to");
        }
    }

    private void InsertExemplar(SqliteTransaction transaction, Exemplar exemplar) =>
        Execute(transaction, "INSERT INTO exemplars (sequence, label, input, embedding) VALUES ($s, $l, $i, $e)",
            ("$s", exemplar.Sequence), ("$l", exemplar.Label), ("$i", exemplar.Input), ("$e", FloatBlob.ToBytes(exemplar.Embedding)));
}
