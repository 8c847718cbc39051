using System.Net;
using System.Threading.Channels;
using EdgeCL.Web.Http;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Web.Page;

/// <summary>
/// Server-Sent Events to the open pages. Publishing never waits: each client has a bounded queue that drops its oldest
/// event when full, and a client that stalls (a write not done in 5 s) or falls a whole queue behind
/// is dropped. With no client, <see cref="Count"/> is 0 and publishers skip formatting altogether.
/// </summary>
internal sealed class EventHub(ILogger logger, TimeSpan? writeTimeout = null)
{
    public const int MaxClients = 16;
    private const int Capacity = 256;
    private readonly TimeSpan _writeTimeout = writeTimeout ?? TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);
    private static readonly byte[] s_heartbeat = ": keep-alive\n\n"u8.ToArray();
    private readonly List<Client> _clients = [];
    private int _count;

    /// <summary>Open streams.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Queues one formatted event (<c>event: ...\ndata: ...\n\n</c>) for every client; never blocks.</summary>
    public void Publish(byte[] message)
    {
        lock (_clients)
            foreach (Client client in _clients)
                client.Queue.Writer.TryWrite(message);
    }

    /// <summary>Streams to one client until it goes away, stalls or the server stops; null-returning handler use.</summary>
    public async Task<HttpResponse?> ServeAsync(Stream stream, IPEndPoint remote, byte[] first, CancellationToken stop)
    {
        var client = new Client();
        lock (_clients)
        {
            if (_clients.Count >= MaxClients)
                return HttpResponse.Text(503, $"{MaxClients} pages are open already; close one");
            _clients.Add(client);
            _count = _clients.Count;
        }
        string reason = "closed";
        try
        {
            byte[] head = System.Text.Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n" + HttpResponse.SecurityHeaders + "\r\nretry: 2000\n\n");
            if (!await WriteAsync(stream, head, stop).ConfigureAwait(false) || !await WriteAsync(stream, first, stop).ConfigureAwait(false))
                return null;
            while (!stop.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop);
                wait.CancelAfter(Heartbeat);
                byte[] message;
                try
                {
                    message = await client.Queue.Reader.ReadAsync(wait.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                {
                    message = s_heartbeat; // also finds a browser that went away without closing
                }
                if (Volatile.Read(ref client.Dropped) >= Capacity)
                {
                    reason = $"too slow ({client.Dropped} events dropped)";
                    return null;
                }
                if (!await WriteAsync(stream, message, stop).ConfigureAwait(false))
                {
                    reason = "stalled or gone";
                    return null;
                }
            }
            return null;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        finally
        {
            lock (_clients)
            {
                _clients.Remove(client);
                _count = _clients.Count;
            }
            if (reason != "closed")
                WebLog.StreamDropped(logger, remote.ToString(), reason);
        }
    }

    private async Task<bool> WriteAsync(Stream stream, byte[] bytes, CancellationToken stop)
    {
        using var time = CancellationTokenSource.CreateLinkedTokenSource(stop);
        time.CancelAfter(_writeTimeout);
        try
        {
            await stream.WriteAsync(bytes, time.Token).ConfigureAwait(false);
            await stream.FlushAsync(time.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private sealed class Client
    {
        public int Dropped;

        public Client() => Queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => Interlocked.Increment(ref Dropped));

        public Channel<byte[]> Queue { get; }
    }
}
