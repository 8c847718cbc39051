using EdgeCL.Sync.Broker;

namespace EdgeCL.Sync.Tests.Brokers;

/// <summary>The accounts every test broker knows.</summary>
internal static class TestUsers
{
    public const string Operator = "edgecl-operator";

    public static readonly string[] Devices = [.. Enumerable.Range(0, 12).Select(i => $"d{i}"), "mallory", "observer", "observer2", "agg1", "agg2"];

    public static string Password(string user) => $"pw-{user}";

    // Hashed once per test run: PBKDF2 is slow on purpose (~0.1 s a user).
    private static readonly Lazy<IReadOnlyList<BrokerUser>> s_all = new(() =>
        [.. Devices.AsParallel().AsOrdered().Select(d => BrokerUser.WithPassword(d, Password(d))), BrokerUser.WithPassword(Operator, Password(Operator), isOperator: true)]);

    public static IReadOnlyList<BrokerUser> All() => s_all.Value;
}
