using System.Security.Cryptography;

namespace EdgeCL.Sync.Broker;

/// <summary>The accounts of a one-device embedded broker (what <c>edgecl run</c> starts when no users file is configured).</summary>
/// <remarks>
/// In <c>{folder}</c>: <c>users</c> (salted hashes of the device and of a local <see cref="OperatorName"/> account), and
/// <c>device.password</c> and <c>operator.password</c> (random, mode 0600) so the agent can log in to its own broker and
/// <c>edgecl fleet status --user operator --password "$(cat {folder}/operator.password)"</c> can read it. Created on
/// first use; a folder from an older version (clear-text users file) is replaced.
/// </remarks>
/// <param name="Users">The broker's accounts.</param>
/// <param name="DevicePassword">The device's own password.</param>
/// <param name="OperatorPassword">The local operator's password.</param>
public sealed record LocalBrokerAccounts(IReadOnlyList<BrokerUser> Users, string DevicePassword, string OperatorPassword)
{
    /// <summary>The local operator account's user name.</summary>
    public const string OperatorName = "operator";

    /// <summary>Reads the accounts from <paramref name="folder"/>, or creates them (and the folder).</summary>
    /// <exception cref="IOException">The folder cannot be written.</exception>
    public static LocalBrokerAccounts LoadOrCreate(string folder, string deviceId)
    {
        string users = Path.Combine(folder, "users"), devicePw = Path.Combine(folder, "device.password"), operatorPw = Path.Combine(folder, "operator.password");
        if (File.Exists(users) && File.Exists(devicePw) && File.Exists(operatorPw))
        {
            try
            {
                IReadOnlyList<BrokerUser> existing = BrokerUser.ReadFile(users);
                string device = File.ReadAllText(devicePw).Trim(), op = File.ReadAllText(operatorPw).Trim();
                if (existing.Any(u => u.Name == deviceId && !u.IsOperator) && existing.Any(u => u.Name == OperatorName && u.IsOperator))
                    return new LocalBrokerAccounts(existing, device, op);
            }
            catch (FormatException)
            {
                // An older clear-text file: made again below (only this agent and its operator log in to this broker).
            }
        }
        Directory.CreateDirectory(folder);
        string devicePassword = NewPassword(), operatorPassword = NewPassword();
        PrivateFile.Write(devicePw, devicePassword + "\n");
        PrivateFile.Write(operatorPw, operatorPassword + "\n");
        var accounts = new List<BrokerUser> { BrokerUser.WithPassword(deviceId, devicePassword), BrokerUser.WithPassword(OperatorName, operatorPassword, isOperator: true) };
        PrivateFile.Write(users, "# created by edgecl run: users of the embedded broker (name:hash[:operator]); passwords in device.password and operator.password\n"
            + string.Concat(accounts.Select(u => $"{u.Name}:{u.PasswordHash}{(u.IsOperator ? ":operator" : "")}\n")));
        return new LocalBrokerAccounts(accounts, devicePassword, operatorPassword);
    }

    private static string NewPassword() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
