using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Sync.Broker;

/// <summary>
/// The embedded broker's refusals, rate-limited: the first refusal of a window is logged in full, the rest are only counted,
/// and the count is logged with the first refusal of the next window (or at shutdown). A misbehaving client retrying in a
/// loop wrote 65,000 lines in one conformance test; now it writes at most two per window.
/// </summary>
internal sealed partial class RefusalLog(ILogger logger, TimeSpan window)
{
    private readonly Lock _gate = new();
    private long _windowStart;
    private long _suppressed;
    private string _last = "";

    /// <summary>Logs or counts one refusal.</summary>
    public void Refused(string action, string client, string user, string topic)
    {
        long now = Stopwatch.GetTimestamp();
        long suppressed;
        lock (_gate)
        {
            if (_windowStart != 0 && Stopwatch.GetElapsedTime(_windowStart, now) < window)
            {
                _suppressed++;
                _last = action;
                return;
            }
            suppressed = _suppressed;
            _suppressed = 0;
            _windowStart = now;
        }
        if (suppressed > 0)
            Suppressed(logger, suppressed, window.TotalSeconds, _last);
        Log.AclRefused(logger, action, client, user, topic);
    }

    /// <summary>Logs the count still pending (at shutdown).</summary>
    public void Flush()
    {
        long suppressed;
        lock (_gate)
        {
            suppressed = _suppressed;
            _suppressed = 0;
        }
        if (suppressed > 0)
            Suppressed(logger, suppressed, window.TotalSeconds, _last);
    }

    [LoggerMessage(EventId = 27, Level = LogLevel.Warning, Message = "Broker refused {Count} more requests within {Seconds:F0} s of a logged refusal (counted, not logged one by one; last: {Action})")]
    private static partial void Suppressed(ILogger logger, long count, double seconds, string action);
}
