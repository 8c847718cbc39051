namespace EdgeCL.Sync.Broker;

/// <summary>An account of the embedded broker.</summary>
/// <param name="Name">User name; for a device, its device id (the client id must be the same, or empty: then the broker assigns it).</param>
/// <param name="PasswordHash">The salted password hash (<see cref="Core.Security.PasswordHash"/>); never the password itself.</param>
/// <param name="IsOperator">Operators may read and write everything under <c>edgecl/</c> (send commands, clear topics); devices are
/// limited by <see cref="FleetAcl"/>.</param>
public sealed record BrokerUser(string Name, string PasswordHash, bool IsOperator = false)
{
    /// <summary>An account whose password is hashed here (<see cref="Core.Security.PasswordHash.Hash"/>, ~0.1 s).</summary>
    public static BrokerUser WithPassword(string name, string password, bool isOperator = false) => new(name, Core.Security.PasswordHash.Hash(password), isOperator);

    /// <summary>Reads a users file: one <c>name:hash</c> or <c>name:hash:operator</c> per line; <c>#</c> starts a comment.</summary>
    /// <remarks>Hashes are <see cref="Core.Security.PasswordHash"/>'s salted PBKDF2 form; <c>edgecl broker passwd FILE USER</c> writes them. Keep the file mode 0600 anyway.</remarks>
    /// <exception cref="FormatException">A line is not in that form (a clear-text password included), or a name repeats.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static IReadOnlyList<BrokerUser> ReadFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var users = new List<BrokerUser>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        int lineNumber = 0;
        foreach (string raw in File.ReadLines(path))
        {
            lineNumber++;
            string line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            string[] parts = line.Split(':');
            bool isOperator = parts.Length == 3 && parts[2] == "operator";
            if (parts.Length is < 2 or > 3 || (parts.Length == 3 && !isOperator) || !Topics.TopicSegment.IsValidIdentifier(parts[0]) || parts[1].Length == 0)
                throw new FormatException($"Users file '{path}' line {lineNumber} is not 'name:hash' or 'name:hash:operator' (name from A-Z a-z 0-9 - _ .); add users with 'edgecl broker passwd {path} NAME'.");
            if (!Core.Security.PasswordHash.IsHash(parts[1]))
                throw new FormatException($"Users file '{path}' line {lineNumber} holds a clear-text password for '{parts[0]}', not a salted hash; "
                    + $"run 'edgecl broker passwd {path} {parts[0]}{(isOperator ? " --operator" : "")}' to replace it with its hash.");
            if (!names.Add(parts[0]))
                throw new FormatException($"Users file '{path}' line {lineNumber} repeats user '{parts[0]}'; each user appears once.");
            users.Add(new BrokerUser(parts[0], parts[1], isOperator));
        }
        return users;
    }

    /// <summary>Adds <paramref name="name"/> to a users file, or replaces its line (new hash); other lines and comments are kept.</summary>
    /// <remarks>Clear-text lines of other users are kept as they are (the next <see cref="ReadFile"/> names them). Written atomically, mode 0600.</remarks>
    /// <exception cref="ArgumentException">The name is not a valid user name.</exception>
    public static void WriteToFile(string path, string name, string password, bool isOperator)
    {
        Topics.TopicSegment.EnsureIdentifier(name, "User name");
        var lines = File.Exists(path) ? [.. File.ReadAllLines(path)] : new List<string> { "# users of the embedded broker: name:hash[:operator] (edgecl broker passwd FILE NAME)" };
        string entry = $"{name}:{Core.Security.PasswordHash.Hash(password)}{(isOperator ? ":operator" : "")}";
        int at = lines.FindIndex(l => l.Trim().StartsWith(name + ":", StringComparison.Ordinal));
        if (at >= 0)
            lines[at] = entry;
        else
            lines.Add(entry);
        PrivateFile.Write(path, string.Join('\n', lines) + "\n");
    }
}
