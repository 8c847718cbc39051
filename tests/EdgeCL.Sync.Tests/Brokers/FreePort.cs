using System.Net;
using System.Net.Sockets;

namespace EdgeCL.Sync.Tests.Brokers;

internal static class FreePort
{
    /// <summary>Binds 127.0.0.1:0 and returns the port the kernel chose (then releases it for the broker).</summary>
    public static int Next()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
