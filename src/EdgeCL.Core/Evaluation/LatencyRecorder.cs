namespace EdgeCL.Core.Evaluation;

/// <summary>Collects durations of one pipeline stage and reports median and 95th percentile.</summary>
/// <remarks>Keeps at most <see cref="Capacity"/> samples by reservoir sampling (a fixed seed, so reports are
/// reproducible), so millions of timed predictions cost bounded memory. Not thread-safe.</remarks>
public sealed class LatencyRecorder
{
    /// <summary>Most samples kept.</summary>
    public const int Capacity = 20_000;

    private readonly List<double> _samples = [];
    private readonly DeterministicRandom _random = new(0x1A7E5C1UL);

    /// <summary>Durations recorded in total (not only those kept).</summary>
    public long Count { get; private set; }

    /// <summary>Records one duration in milliseconds.</summary>
    public void Add(double milliseconds)
    {
        Count++;
        if (_samples.Count < Capacity)
        {
            _samples.Add(milliseconds);
            return;
        }
        long j = (long)(_random.NextDouble() * Count);
        if (j < Capacity)
            _samples[(int)j] = milliseconds;
    }

    /// <summary>Adds every sample of another recorder (as if recorded here).</summary>
    public void AddAll(LatencyRecorder other)
    {
        ArgumentNullException.ThrowIfNull(other);
        foreach (double ms in other._samples)
            Add(ms);
    }

    /// <summary>Median and 95th percentile (nearest rank) in milliseconds, or null when nothing was recorded.</summary>
    public LatencySummary? Summarize()
    {
        if (_samples.Count == 0)
            return null;
        double[] sorted = [.. _samples];
        Array.Sort(sorted);
        return new LatencySummary(Percentile(sorted, 0.5), Percentile(sorted, 0.95), Count);
    }

    private static double Percentile(double[] sorted, double p)
    {
        int rank = (int)Math.Ceiling(p * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}

/// <summary>Latency of one stage.</summary>
/// <param name="MedianMs">Median in milliseconds.</param>
/// <param name="P95Ms">95th percentile (nearest rank) in milliseconds.</param>
/// <param name="Count">Number of timed calls.</param>
public sealed record LatencySummary(double MedianMs, double P95Ms, long Count);
