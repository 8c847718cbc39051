using EdgeCL.Core.Vectors;
using EdgeCL.Storage.Errors;
using Microsoft.Data.Sqlite;

namespace EdgeCL.Storage.State;

/// <summary>Which embedding space a state database holds, read without opening it for writing: what a backbone rollout checks first.</summary>
public sealed partial class StateStore
{
    /// <summary>The space of the state database at <paramref name="path"/>, or null when there is no file (or an empty one) there.</summary>
    /// <exception cref="StateStoreException">The file is not an EdgeCL state database, or cannot be read.</exception>
    public static EmbeddingSpace? ReadSpace(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full) || new FileInfo(full).Length == 0)
            return null;
        CheckFileHeader(full);
        var builder = new SqliteConnectionStringBuilder { DataSource = full, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        try
        {
            using var connection = new SqliteConnection(builder.ToString());
            connection.Open();
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "SELECT (SELECT value FROM meta WHERE key = 'space_id'), (SELECT value FROM meta WHERE key = 'dimension')";
            using SqliteDataReader reader = command.ExecuteReader();
            if (reader.Read() && reader.GetValue(0) is string id && reader.GetValue(1) is long dimension && dimension is >= 1 and <= EmbeddingSpace.MaxDimension)
                return new EmbeddingSpace(id, (int)dimension);
        }
        catch (SqliteException ex)
        {
            throw new StateStoreException(StateStoreFailure.NotStateDatabase,
                $"'{full}' cannot be read as an EdgeCL state database ({ex.Message.Split('\n')[0]}); pass another path or move the file aside.", ex);
        }
        throw new StateStoreException(StateStoreFailure.NotStateDatabase, $"'{full}' has no embedding space in its meta table; it is not an EdgeCL state database.");
    }
}
