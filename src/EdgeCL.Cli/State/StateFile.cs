using EdgeCL.Storage.Files;
using EdgeCL.Core.Errors;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Serialization;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Cli.State;

/// <summary>
/// The CLI's prototype state file, replaced atomically: write a temporary file, fsync it, rename it over the old
/// one, fsync the folder. A crash or full disk at any instant leaves either the old or the new state, never a mix.
/// </summary>
internal static class StateFile
{
    /// <summary>Loads a state; a missing file gives null.</summary>
    /// <remarks>A folder in the state's place is refused here, before any work is done.</remarks>
    /// <exception cref="StateFormatException">A folder, corrupt, unreadable, from another embedding space (exit 5 like any state problem).</exception>
    public static PrototypeMemory? Load(string path, EmbeddingSpace? expectedSpace)
    {
        if (Directory.Exists(path))
            throw new StateFormatException($"State path '{path}' is a folder; pass a file path such as '{Path.Combine(path, "state.ecls")}'.");
        if (!File.Exists(path))
            return null;
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StateFormatException($"State file '{path}' cannot be read ({ex.Message}); check permissions.");
        }
        try
        {
            return PrototypeMemorySerializer.Deserialize(bytes, expectedSpace);
        }
        catch (StateFormatException ex)
        {
            throw new StateFormatException($"State file '{path}': {ex.Message}");
        }
        catch (EmbeddingException ex)
        {
            throw new StateFormatException($"State file '{path}': {ex.Message}");
        }
    }

    /// <summary>Refuses, before any example is embedded, a state that could not be saved: its folder cannot be created or written.</summary>
    /// <exception cref="StateFormatException">The folder is read-only, not writable by this user, or a file is in its way.</exception>
    public static void EnsureWritable(string path)
    {
        if (FolderCheck.WhyNotWritable(Path.GetDirectoryName(Path.GetFullPath(path))!) is { } why)
            throw new StateFormatException($"State file '{path}' cannot be written: {why}; pass another path or fix the permissions.");
    }

    /// <summary>Saves atomically and durably.</summary>
    /// <exception cref="IOException">The write failed (e.g. disk full); the previous state is unchanged.</exception>
    public static void Save(string path, PrototypeMemory memory) =>
        AtomicFile.WriteAllBytes(path, PrototypeMemorySerializer.Serialize(memory));
}
