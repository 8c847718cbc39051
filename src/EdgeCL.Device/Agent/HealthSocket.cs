using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Agent;

/// <summary>
/// The agent's heartbeat that needs no disk: a Linux abstract Unix socket named after the state folder. <c>edgecl status</c>
/// connects, and the agent answers with its health as it is now (the same JSON as <c>status.json</c>), then closes.
/// </summary>
/// <remarks>
/// <para>Why: <c>status.json</c> cannot be written on a full disk, so it goes stale while the agent runs on; a monitor that
/// read "not running" from it would restart a healthy device. An abstract socket lives in kernel memory only: no file,
/// no permissions to get wrong, gone the instant the process dies, and a second agent on the same state folder cannot
/// bind it.</para>
/// <para>Linux only (abstract names are a Linux feature); elsewhere <see cref="TryListen"/> returns null and
/// <c>edgecl status</c> falls back to the status file and the process id. Not thread-safe to dispose twice concurrently.</para>
/// </remarks>
public sealed class HealthSocket : IAsyncDisposable
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(2);

    private readonly Socket _listener;
    private readonly Func<CancellationToken, Task<LocalStatus>> _health;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private HealthSocket(Socket listener, Func<CancellationToken, Task<LocalStatus>> health, ILogger logger)
    {
        _listener = listener;
        _health = health;
        _logger = logger;
        _accepting = Task.Run(AcceptAsync);
    }

    /// <summary>The abstract socket name for a state folder (<c>\0edgecl-agent-</c> + 24 hex digits of its full path's SHA-256).</summary>
    public static string NameFor(string stateDir)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateDir);
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(stateDir));
        return "\0edgecl-agent-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(full)))[..24];
    }

    /// <summary>Starts answering on the state folder's socket; null where abstract sockets do not exist or the name is taken.</summary>
    /// <param name="stateDir">The agent's state folder.</param>
    /// <param name="health">Produces the health to answer with (called once per connection).</param>
    /// <param name="logger">Where a taken name is reported.</param>
    public static HealthSocket? TryListen(string stateDir, Func<CancellationToken, Task<LocalStatus>> health, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(health);
        ArgumentNullException.ThrowIfNull(logger);
        if (!OperatingSystem.IsLinux())
            return null;
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(NameFor(stateDir)));
            listener.Listen(4);
            return new HealthSocket(listener, health, logger);
        }
        catch (SocketException ex)
        {
            listener.Dispose();
            AgentLog.HealthSocketUnavailable(logger, stateDir, ex.Message);
            return null;
        }
    }

    /// <summary>Asks the agent running on <paramref name="stateDir"/> for its health; null when none answers.</summary>
    /// <param name="stateDir">The agent's state folder.</param>
    /// <param name="timeout">How long to wait for the answer (the agent answers between two samples).</param>
    public static LocalStatus? TryQuery(string stateDir, TimeSpan timeout)
    {
        if (!OperatingSystem.IsLinux())
            return null;
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(NameFor(stateDir)));
            using var stream = new NetworkStream(socket, ownsSocket: false);
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            return JsonSerializer.Deserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), StatusJsonContext.Default.LocalStatus);
        }
        catch (Exception ex) when (ex is SocketException or IOException or JsonException)
        {
            return null;
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            using (client)
            {
                try
                {
                    using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                    deadline.CancelAfter(AnswerTimeout);
                    LocalStatus status = await _health(deadline.Token).ConfigureAwait(false);
                    byte[] json = JsonSerializer.SerializeToUtf8Bytes(status, StatusJsonContext.Default.LocalStatus);
                    await client.SendAsync(json, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                    client.Shutdown(SocketShutdown.Send);
                }
                catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    // The asker gave up or the agent is stopping: nothing to answer.
                }
                catch (Exception ex)
                {
                    // A bug in building the health must not end the heartbeat.
                    AgentLog.HealthSocketFailed(_logger, ex);
                }
            }
        }
    }

    /// <summary>Stops answering and releases the name.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _accepting.ConfigureAwait(false);
        _stop.Dispose();
    }
}
