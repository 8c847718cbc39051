using System.Diagnostics;

namespace EdgeCL.Benchmarks;

/// <summary>Result of one measured operation.</summary>
internal readonly record struct Measurement(string Name, double MedianNanoseconds, double MinNanoseconds, double AllocatedBytesPerOp);

/// <summary>
/// A plain, dependency-free benchmark harness: warm-up, then <see cref="Rounds"/> rounds of a calibrated number of
/// operations; reports the median time per operation and managed bytes allocated per operation.
/// Baselines run in the same process, interleaved round by round with the candidate, so ratios are side by side.
/// </summary>
internal static class Harness
{
    public static int Rounds { get; set; } = 9;
    public static TimeSpan RoundTime { get; set; } = TimeSpan.FromMilliseconds(150);

    /// <summary>Measures a candidate and its baseline interleaved; returns both.</summary>
    public static (Measurement Candidate, Measurement Baseline) Compare(string candidateName, Action candidate, string baselineName, Action baseline)
    {
        int nc = Calibrate(candidate), nb = Calibrate(baseline);
        var tc = new double[Rounds];
        var tb = new double[Rounds];
        double allocC = 0, allocB = 0;
        for (int r = 0; r < Rounds; r++)
        {
            (tc[r], double ac) = Round(candidate, nc);
            (tb[r], double ab) = Round(baseline, nb);
            allocC = Math.Max(allocC, ac);
            allocB = Math.Max(allocB, ab);
        }
        return (new Measurement(candidateName, Median(tc), tc.Min(), allocC), new Measurement(baselineName, Median(tb), tb.Min(), allocB));
    }

    /// <summary>Prints a candidate/baseline pair with their ratio; <paramref name="goal"/> describes the target.</summary>
    public static void Report((Measurement Candidate, Measurement Baseline) pair, string ratioLabel, string goal, bool baselineOverCandidate = false)
    {
        var (c, b) = pair;
        double ratio = baselineOverCandidate ? b.MedianNanoseconds / c.MedianNanoseconds : c.MedianNanoseconds / b.MedianNanoseconds;
        Console.WriteLine($"  {c.Name,-46} {Format(c.MedianNanoseconds),12} {c.AllocatedBytesPerOp,8:F0} B/op");
        Console.WriteLine($"  {b.Name,-46} {Format(b.MedianNanoseconds),12} {b.AllocatedBytesPerOp,8:F0} B/op");
        Console.WriteLine($"  => {ratioLabel} = {ratio:F4}   ({goal})");
        Console.WriteLine();
    }

    private static (double NsPerOp, double BytesPerOp) Round(Action action, int n)
    {
        long bytes = GC.GetAllocatedBytesForCurrentThread();
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
            action();
        double ns = Stopwatch.GetElapsedTime(start).TotalNanoseconds / n;
        return (ns, (double)(GC.GetAllocatedBytesForCurrentThread() - bytes) / n);
    }

    private static int Calibrate(Action action)
    {
        for (int i = 0; i < 3; i++) action(); // JIT tiering, ORT arenas
        int n = 1;
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < n; i++) action();
            if (Stopwatch.GetElapsedTime(start) >= RoundTime / 4 || n >= 1 << 24)
                return Math.Max(1, (int)(n * (RoundTime / Stopwatch.GetElapsedTime(start) / 4 * 4)));
            n *= 2;
        }
    }

    private static double Median(double[] values)
    {
        double[] s = values.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    private static string Format(double ns) => ns switch
    {
        < 1_000 => $"{ns:F1} ns",
        < 1_000_000 => $"{ns / 1_000:F2} µs",
        _ => $"{ns / 1_000_000:F3} ms",
    };
}
