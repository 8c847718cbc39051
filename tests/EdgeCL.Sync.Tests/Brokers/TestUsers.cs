using EdgeCL.Sync.Broker;

namespace EdgeCL.Sync.Tests.Brokers;

/// <summary>The accounts every test broker knows.</summary>
internal static class TestUsers
{
    public const string Operator = "edgecl-operator";

    public static readonly string[] Devices = [.. Enumerable.Range(0, 12).Select(i => $"d{i}"), "mallory", "observer", "observer2"];

    public static string Password(string user) => $"pw-{user}";

    public static IReadOnlyList<BrokerUser> All() =>
        [.. Devices.Select(d => new BrokerUser(d, Password(d))), new BrokerUser(Operator, Password(Operator), IsOperator: true)];
}
