using System.Text;
using EdgeCL.Storage.Files;

namespace EdgeCL.Device.Rollout;

/// <summary>
/// <c>state_dir/backbone.override</c>: the backbone a <c>new_backbone</c> command chose. It takes precedence over the
/// config's <c>backbone</c> at every start, because the agent writes nowhere but its state folder (the config may be
/// read-only, or managed by someone else).
/// </summary>
/// <remarks>
/// <para>The file holds one backbone name (one line). It is written atomically and fsynced (<see cref="AtomicFile"/>), so after a
/// power cut it holds the old name or the new one, never a mix. The start that follows moves the state with
/// <see cref="StateMigration"/>, which is atomic on its own: a cut during that start is redone at the next.</para>
/// <para>The same command naming the config's backbone deletes the file: the way back.</para>
/// </remarks>
public static class BackboneOverride
{
    /// <summary>File name inside the state folder.</summary>
    public const string FileName = "backbone.override";

    /// <summary>Longest name accepted (the same bound as a device id).</summary>
    public const int MaxNameLength = 64;

    /// <summary>The override file of <paramref name="stateDir"/>.</summary>
    public static string PathIn(string stateDir) => Path.Combine(stateDir, FileName);

    /// <summary>Whether <paramref name="name"/> is a backbone name (not a path): 1-64 of A-Z a-z 0-9 . _ -, not starting with '.'.
    /// A command may only name a backbone installed under the models folder.</summary>
    public static bool IsValidName(string? name) => Core.Fleet.FleetLimits.IsValidDeviceId(name) && name!.Length <= MaxNameLength && name[0] != '.';

    /// <summary>The backbone the override names, or null when there is none.</summary>
    /// <exception cref="IOException">The file exists but cannot be read, or does not hold a backbone name; the message says what to do.</exception>
    public static string? Read(string stateDir)
    {
        string path = PathIn(stateDir);
        if (!File.Exists(path))
            return null;
        string text;
        try
        {
            text = File.ReadAllText(path).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"'{path}' cannot be read ({ex.Message.Split('\n')[0]}); fix its permissions, or delete it to run the config's backbone.", ex);
        }
        if (!IsValidName(text))
            throw new IOException($"'{path}' does not hold a backbone name; delete it to run the config's backbone.");
        return text;
    }

    /// <summary>Makes <paramref name="backbone"/> the backbone of every start from now on (atomic, durable).</summary>
    /// <exception cref="IOException">It cannot be written; the previous file, if any, is unchanged.</exception>
    public static void Write(string stateDir, string backbone)
    {
        if (!IsValidName(backbone))
            throw new ArgumentException($"'{backbone}' is not a backbone name.", nameof(backbone));
        AtomicFile.WriteAllBytes(PathIn(stateDir), Encoding.UTF8.GetBytes(backbone + "\n"));
    }

    /// <summary>Removes the override (durably), so the config's backbone runs again.</summary>
    /// <exception cref="IOException">It cannot be deleted.</exception>
    public static void Clear(string stateDir)
    {
        string path = PathIn(stateDir);
        if (!File.Exists(path))
            return;
        try
        {
            File.Delete(path);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new IOException($"'{path}' cannot be deleted ({ex.Message.Split('\n')[0]}); fix the state folder's permissions.", ex);
        }
        AtomicFile.SyncDirectory(stateDir);
    }
}
