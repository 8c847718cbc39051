namespace EdgeCL.Sync.Broker;

/// <summary>An account of the embedded broker.</summary>
/// <param name="Name">User name; for a device, its device id (the client id must be the same).</param>
/// <param name="Password">The password.</param>
/// <param name="IsOperator">Operators may read and write everything under <c>edgecl/</c> (send commands, clear topics); devices are
/// limited by <see cref="FleetAcl"/>.</param>
public sealed record BrokerUser(string Name, string Password, bool IsOperator = false)
{
    /// <summary>Reads a users file: one <c>name:password</c> or <c>name:password:operator</c> per line; <c>#</c> starts a comment.</summary>
    /// <remarks>Passwords are stored in clear text, like a mosquitto password file before <c>mosquitto_passwd -U</c>: keep the file mode 0600.</remarks>
    /// <exception cref="FormatException">A line is not in that form, or a name repeats.</exception>
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
                throw new FormatException($"Users file '{path}' line {lineNumber} is not 'name:password' or 'name:password:operator' (name from A-Z a-z 0-9 - _ .).");
            if (!names.Add(parts[0]))
                throw new FormatException($"Users file '{path}' line {lineNumber} repeats user '{parts[0]}'; each user appears once.");
            users.Add(new BrokerUser(parts[0], parts[1], isOperator));
        }
        return users;
    }
}
