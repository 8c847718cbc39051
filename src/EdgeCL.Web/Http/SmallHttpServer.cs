using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Web.Http;

/// <summary>What the server calls for each request. Returning null means the handler kept the stream (an event stream) and
/// the connection closes when it returns.</summary>
public delegate Task<HttpResponse?> HttpHandler(HttpRequest request, Stream stream, CancellationToken cancellationToken);

/// <summary>
/// A small HTTP/1.1 server over sockets (optionally TLS): the device page needs a few routes, one event stream and uploads,
/// and ASP.NET Core would add megabytes to a trimmed AOT binary. Bounded everywhere a client could hold resources: header
/// size and time, body size and time, connections, keep-alive requests.
/// </summary>
public sealed class SmallHttpServer : IAsyncDisposable
{
    private const int MaxHeadBytes = 16 * 1024;
    private const int MaxConnections = 64;
    private const int MaxRequestsPerConnection = 1000;
    private static readonly TimeSpan HeadTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan BodyTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(30);

    private readonly Socket _listener;
    private readonly X509Certificate2? _certificate;
    private readonly HttpHandler _handler;
    private readonly long _maxBodyBytes;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task _accepting = Task.CompletedTask;
    private int _connections;

    /// <summary>Binds <paramref name="endpoint"/> (port 0 = any free port); serving starts with <see cref="Start"/>.</summary>
    /// <exception cref="SocketException">The address cannot be bound (in use, not on this machine).</exception>
    public SmallHttpServer(IPEndPoint endpoint, X509Certificate2? certificate, long maxBodyBytes, HttpHandler handler, ILogger logger)
    {
        _certificate = certificate;
        _handler = handler;
        _maxBodyBytes = maxBodyBytes;
        _logger = logger;
        _listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listener.Bind(endpoint);
            _listener.Listen(32);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
    }

    /// <summary>The bound address and port.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Whether connections run TLS.</summary>
    public bool Secure => _certificate is not null;

    /// <summary>Starts accepting connections.</summary>
    public void Start() => _accepting = Task.Run(AcceptLoopAsync);

    /// <summary>Stops accepting, closes open connections.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        try
        {
            await _accepting.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException or OperationCanceledException)
        {
        }
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ObjectDisposedException or SocketException or OperationCanceledException)
            {
                return;
            }
            if (Interlocked.Increment(ref _connections) > MaxConnections)
            {
                Interlocked.Decrement(ref _connections);
                client.Dispose(); // a flood: refuse rather than queue
                continue;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        var remote = (IPEndPoint)socket.RemoteEndPoint!;
        socket.NoDelay = true;
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            if (_certificate is not null)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                using var handshake = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                handshake.CancelAfter(HeadTimeout);
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, handshake.Token).ConfigureAwait(false);
            }
            var buffer = new byte[MaxHeadBytes];
            int buffered = 0;
            for (int n = 0; n < MaxRequestsPerConnection && !_stop.IsCancellationRequested; n++)
            {
                (HttpRequest? request, int headEnd, buffered, HttpResponse? early) = await ReadHeadAsync(stream, buffer, buffered, remote, n == 0 ? HeadTimeout : IdleTimeout).ConfigureAwait(false);
                if (early is not null)
                {
                    await WriteAsync(stream, early, keepAlive: false).ConfigureAwait(false);
                    return;
                }
                if (request is null)
                    return; // closed or timed out between requests
                (HttpResponse? refused, buffered) = await ReadBodyAsync(stream, request, buffer, headEnd, buffered).ConfigureAwait(false);
                if (refused is not null)
                {
                    await WriteAsync(stream, refused, keepAlive: false).ConfigureAwait(false);
                    return;
                }
                HttpResponse? response = await _handler(request, stream, _stop.Token).ConfigureAwait(false);
                if (response is null)
                    return; // the handler streamed and is done
                bool keepAlive = !string.Equals(request.Header("Connection"), "close", StringComparison.OrdinalIgnoreCase);
                await WriteAsync(stream, response, keepAlive).ConfigureAwait(false);
                if (!keepAlive)
                    return;
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
        {
            WebLog.ConnectionEnded(_logger, remote.ToString(), ex.Message.Split('\n')[0]);
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            Interlocked.Decrement(ref _connections);
        }
    }

    private async Task<(HttpRequest? Request, int HeadEnd, int Buffered, HttpResponse? Early)> ReadHeadAsync(Stream stream, byte[] buffer, int buffered, IPEndPoint remote, TimeSpan timeout)
    {
        using var time = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        time.CancelAfter(timeout);
        while (true)
        {
            int end = buffer.AsSpan(0, buffered).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                HttpRequest? request = HttpRequest.ParseHead(buffer.AsSpan(0, end), remote, Secure);
                return request is null
                    ? (null, 0, 0, HttpResponse.Text(400, "not an HTTP/1.1 request"))
                    : (request, end + 4, buffered, null);
            }
            if (buffered == buffer.Length)
                return (null, 0, 0, HttpResponse.Text(431, $"request head over {MaxHeadBytes} bytes"));
            int read;
            try
            {
                read = await stream.ReadAsync(buffer.AsMemory(buffered), time.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
            {
                return buffered == 0 ? (null, 0, 0, null) : (null, 0, 0, HttpResponse.Text(408, "request head not received in time"));
            }
            if (read == 0)
                return (null, 0, 0, null);
            buffered += read;
        }
    }

    private async Task<(HttpResponse? Refused, int Buffered)> ReadBodyAsync(Stream stream, HttpRequest request, byte[] buffer, int headEnd, int buffered)
    {
        string? lengthHeader = request.Header("Content-Length");
        if (request.Header("Transfer-Encoding") is not null)
            return (HttpResponse.Text(411, "chunked bodies are not accepted; send Content-Length"), 0);
        long length = 0;
        if (lengthHeader is not null && (!long.TryParse(lengthHeader, NumberStyles.None, CultureInfo.InvariantCulture, out length)))
            return (HttpResponse.Text(400, "Content-Length is not a number"), 0);
        if (length > _maxBodyBytes)
            return (HttpResponse.Text(413, $"body of {length} bytes is over the limit of {_maxBodyBytes} bytes (web.max_upload_bytes)"), 0);
        var body = new byte[length];
        int inBuffer = (int)Math.Min(length, buffered - headEnd);
        buffer.AsSpan(headEnd, inBuffer).CopyTo(body);
        int rest = buffered - headEnd - inBuffer;
        buffer.AsSpan(headEnd + inBuffer, rest).CopyTo(buffer); // a pipelined next request stays buffered
        using var time = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        time.CancelAfter(BodyTimeout);
        try
        {
            await stream.ReadExactlyAsync(body.AsMemory(inBuffer), time.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
        {
            return (HttpResponse.Text(408, "request body not received in time"), 0);
        }
        catch (EndOfStreamException)
        {
            return (HttpResponse.Text(400, "request body shorter than Content-Length"), 0);
        }
        request.Body = body;
        return (null, rest);
    }

    private async Task WriteAsync(Stream stream, HttpResponse response, bool keepAlive)
    {
        using var time = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        time.CancelAfter(BodyTimeout);
        await stream.WriteAsync(response.Head(keepAlive), time.Token).ConfigureAwait(false);
        await stream.WriteAsync(response.Body, time.Token).ConfigureAwait(false);
        await stream.FlushAsync(time.Token).ConfigureAwait(false);
    }
}
