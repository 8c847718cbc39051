namespace EdgeCL.Sync.Tests.Network;

/// <summary>A fact that partitions a network with private namespaces (<see cref="PartitionLink"/>); skipped, with the
/// reason, where that is refused (not root, no unshare/nsenter/ip, or a container without CAP_SYS_ADMIN/CAP_NET_ADMIN).</summary>
/// <remarks>xunit 2 has no dynamic skip, so the probe (a real namespace and veth pair, then setns) runs once at discovery.</remarks>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NamespaceFactAttribute : FactAttribute
{
    public NamespaceFactAttribute() => Skip = NamespaceSupport.SkipReason;
}

/// <summary>The theory form of <see cref="NamespaceFactAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NamespaceTheoryAttribute : TheoryAttribute
{
    public NamespaceTheoryAttribute() => Skip = NamespaceSupport.SkipReason;
}

internal static class NamespaceSupport
{
    private static readonly Lazy<string?> s_skipReason = new(Probe);

    /// <summary>Null where namespaces work, else why not.</summary>
    public static string? SkipReason => s_skipReason.Value;

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
            return "network namespaces are Linux only";
        if (Environment.UserName != "root")
            return $"network namespaces need root (running as {Environment.UserName}); CI runs these as root";
        try
        {
            using NetworkNamespace ns = NetworkNamespace.Create();
            ns.Run("ip link add probe-a type veth peer name probe-b && ip link set probe-a up");
            ns.Inside(() => 0);
            return null;
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
        {
            return $"cannot make a network namespace with a veth pair here (needs unshare, nsenter and ip from util-linux/iproute2): {ex.Message}";
        }
    }
}
