using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace EdgeCL.Sync.Tests.Network;

/// <summary>
/// A TCP path to a loopback port that crosses a link between two private network namespaces, so that the test can
/// partition it for real: <see cref="CutAsync"/> sets the veth link down (packets vanish: no reset, no error, exactly
/// what a pulled cable does to an open connection; a new connection fails with "network unreachable") and
/// <see cref="HealAsync"/> brings it back, when the kernel retransmits what was stalled.
/// </summary>
/// <remarks>
/// <para>Path: client → 127.0.0.1:<see cref="Port"/> (this namespace) → a socket in namespace A → veth A=B →
/// a listener in namespace B (10.x.0.2) → 127.0.0.1:target (this namespace). The brokers and devices stay where the
/// harnesses put them; only this path runs through the namespaces, and the two relays at its ends just copy bytes
/// (they close one side when the other closes, as a NAT would).</para>
/// <para>Needs root (unshare, nsenter, setns, ip from iproute2): see <see cref="NamespaceFactAttribute"/>.</para>
/// </remarks>
public sealed class PartitionLink : IAsyncDisposable
{
    private const string LinkA = "edgecl-a", LinkB = "edgecl-b";
    private const int ExitPort = 1883; // namespace B is private: any fixed port is free there
    private static readonly IPAddress AddressB = IPAddress.Parse("10.77.0.2");
    private readonly NetworkNamespace _a, _b;
    private readonly Socket _entry, _exit;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly List<Task> _loops = [];

    private PartitionLink(NetworkNamespace a, NetworkNamespace b, int targetPort)
    {
        _a = a;
        _b = b;
        _targetPort = targetPort;
        _exit = b.Inside(() => Listen(AddressB, ExitPort));
        _entry = Listen(IPAddress.Loopback, 0);
        Port = ((IPEndPoint)_entry.LocalEndPoint!).Port;
        _loops.Add(AcceptLoopAsync(_entry, ConnectThroughAAsync));
        _loops.Add(AcceptLoopAsync(_exit, ConnectToTargetAsync));
    }

    /// <summary>The loopback port clients use instead of the target port.</summary>
    public int Port { get; }

    /// <summary>Creates namespaces A and B joined by a veth pair (10.77.0.1/30 = 10.77.0.2/30), leading to 127.0.0.1:<paramref name="targetPort"/>.</summary>
    public static PartitionLink Create(int targetPort)
    {
        NetworkNamespace a = NetworkNamespace.Create(), b = NetworkNamespace.Create();
        try
        {
            a.Run($"ip link add {LinkA} type veth peer name {LinkB} netns {b.HolderId} && ip addr add 10.77.0.1/30 dev {LinkA} && ip link set {LinkA} up");
            b.Run($"ip addr add {AddressB}/30 dev {LinkB} && ip link set {LinkB} up");
            return new PartitionLink(a, b, targetPort);
        }
        catch
        {
            a.Dispose();
            b.Dispose();
            throw;
        }
    }

    /// <summary>Partitions: the link goes down; open connections stall, new ones fail.</summary>
    /// <param name="resetConnections">Also reset the connections open across it, at both ends (what a rebooted router or
    /// a NAT that forgot its table does), so that their clients notice at once instead of after their keepalive.</param>
    public async Task CutAsync(bool resetConnections = false)
    {
        await Task.Run(() => _a.Run($"ip link set {LinkA} down"));
        if (!resetConnections)
            return;
        foreach (Socket s in _open.Keys)
            Reset(s);
    }

    private void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0); // close with RST, not FIN
        }
        catch (ObjectDisposedException)
        {
            // its relay closed it meanwhile, after resetting its partner
        }
        Close(socket);
    }

    /// <summary>Heals: the link comes back up (its address and route with it).</summary>
    public Task HealAsync() => Task.Run(() => _a.Run($"ip link set {LinkA} up"));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _entry.Dispose();
        _exit.Dispose();
        foreach (Socket s in _open.Keys)
            s.Dispose();
        await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(5));
        _a.Dispose();
        _b.Dispose();
        _stop.Dispose();
    }

    private static Socket Listen(IPAddress address, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(address, port));
        socket.Listen();
        return socket;
    }

    /// <summary>Client side: the upstream socket is created inside namespace A, so its packets go over the veth.</summary>
    private async Task<Socket> ConnectThroughAAsync()
    {
        Socket upstream = _a.Inside(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        await ConnectAsync(upstream, new IPEndPoint(AddressB, ExitPort));
        return upstream;
    }

    private async Task<Socket> ConnectToTargetAsync()
    {
        var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await ConnectAsync(upstream, new IPEndPoint(IPAddress.Loopback, _targetPort));
        return upstream;
    }

    private async Task ConnectAsync(Socket socket, IPEndPoint to)
    {
        try
        {
            await socket.ConnectAsync(to, _stop.Token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task AcceptLoopAsync(Socket listener, Func<Task<Socket>> connectUpstream)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = RelayAsync(client, connectUpstream);
        }
    }

    private async Task RelayAsync(Socket client, Func<Task<Socket>> connectUpstream)
    {
        _open[client] = 0;
        Socket? upstream = null;
        try
        {
            upstream = await connectUpstream(); // fails at once while cut: the client sees its connection closed
            _open[upstream] = 0;
            await Task.WhenAny(CopyAsync(client, upstream), CopyAsync(upstream, client));
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            // One direction ended (end of stream or error): end the other, as the peer's own close would.
            Close(client);
            if (upstream is not null)
                Close(upstream);
        }
    }

    private void Close(Socket socket)
    {
        _open.TryRemove(socket, out _);
        socket.Dispose();
    }

    private async Task CopyAsync(Socket from, Socket to)
    {
        byte[] buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                int n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0)
                    return;
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }
}
