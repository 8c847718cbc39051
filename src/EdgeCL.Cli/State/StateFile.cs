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
    /// <exception cref="StateFormatException">Corrupt or unreadable.</exception>
    /// <exception cref="EmbeddingException">From another embedding space.</exception>
    public static PrototypeMemory? Load(string path, EmbeddingSpace? expectedSpace)
    {
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
            throw new EmbeddingException($"State file '{path}': {ex.Message}");
        }
    }

    /// <summary>Saves atomically and durably.</summary>
    /// <exception cref="IOException">The write failed (e.g. disk full); the previous state is unchanged.</exception>
    public static void Save(string path, PrototypeMemory memory) =>
        AtomicFile.WriteAllBytes(path, PrototypeMemorySerializer.Serialize(memory));
}
