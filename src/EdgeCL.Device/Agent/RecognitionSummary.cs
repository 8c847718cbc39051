using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Agent;

/// <summary>
/// The periodic information line that replaces one line per recognition (those are debug lines now): counts, the accept rate
/// and latency percentiles over the last interval. Fixed-size counters, so adding a sample allocates nothing; the agent loop
/// is the only writer.
/// </summary>
/// <remarks>Latencies go into 10 buckets per decade (0.01 ms to 100 s); a percentile is reported as its bucket's upper edge,
/// at most 26 % above the true value, which is what a log line needs.</remarks>
internal sealed class RecognitionSummary(double intervalSeconds)
{
    private const int BucketsPerDecade = 10;
    private const double SmallestMs = 0.01;
    private readonly long[] _latencyBuckets = new long[7 * BucketsPerDecade + 1];
    private long _accepted, _unknown, _learned, _rejected;
    private long _since = Stopwatch.GetTimestamp();

    /// <summary>A recognition (accepted or answered unknown) and its latency.</summary>
    public void Recognition(bool accepted, double latencyMs)
    {
        if (accepted)
            _accepted++;
        else
            _unknown++;
        _latencyBuckets[Bucket(latencyMs)]++;
    }

    /// <summary>A learned example.</summary>
    public void Learned() => _learned++;

    /// <summary>A rejected sample (decode error, no classes yet...).</summary>
    public void Rejected() => _rejected++;

    /// <summary>Logs and restarts the interval once it is over and something happened in it (an idle device says nothing).</summary>
    public void LogIfDue(ILogger logger)
    {
        TimeSpan elapsed = Stopwatch.GetElapsedTime(_since);
        if (intervalSeconds <= 0 || elapsed.TotalSeconds < intervalSeconds)
            return;
        long recognitions = _accepted + _unknown;
        if (recognitions + _learned + _rejected > 0)
        {
            double acceptRate = recognitions == 0 ? 0 : (double)_accepted / recognitions;
            AgentLog.Summary(logger, elapsed.TotalSeconds, _accepted, _unknown, acceptRate, _learned, _rejected,
                Percentile(recognitions, 0.50), Percentile(recognitions, 0.95), Percentile(recognitions, 0.99));
        }
        Array.Clear(_latencyBuckets);
        _accepted = _unknown = _learned = _rejected = 0;
        _since = Stopwatch.GetTimestamp();
    }

    private static int Bucket(double ms)
    {
        if (!(ms > SmallestMs))
            return 0;
        int bucket = (int)Math.Ceiling(Math.Log10(ms / SmallestMs) * BucketsPerDecade);
        return Math.Min(bucket, 7 * BucketsPerDecade);
    }

    private static double UpperEdge(int bucket) => SmallestMs * Math.Pow(10, (double)bucket / BucketsPerDecade);

    private double Percentile(long count, double q)
    {
        if (count == 0)
            return 0;
        long rank = (long)Math.Ceiling(q * count), seen = 0;
        for (int b = 0; b < _latencyBuckets.Length; b++)
        {
            seen += _latencyBuckets[b];
            if (seen >= rank)
                return UpperEdge(b);
        }
        return UpperEdge(_latencyBuckets.Length - 1);
    }
}
