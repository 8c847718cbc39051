using EdgeCL.Core.Vectors;

namespace EdgeCL.Benchmarks;

/// <summary>Vector kernels against naive scalar loops, measured side by side.</summary>
internal static class KernelBenchmarks
{
    public static void Run()
    {
        Console.WriteLine("== kernels vs naive scalar loops (ratio = naive time / kernel time; > 1 means the kernel is faster)");
        foreach (int d in new[] { 96, 512 })
        {
            var rng = new Random(d);
            float[] a = Vector(rng, d), b = Vector(rng, d), dst = new float[d];
            float sink = 0;
            Harness.Report(Harness.Compare($"VectorKernels.Dot d={d}", () => sink += VectorKernels.Dot(a, b), "naive dot", () => sink += NaiveDot(a, b)),
                "speed-up", "goal > 1", baselineOverCandidate: true);
            Harness.Report(Harness.Compare($"VectorKernels.Cosine d={d}", () => sink += VectorKernels.Cosine(a, b), "naive cosine", () => sink += NaiveCosine(a, b)),
                "speed-up", "goal > 1", baselineOverCandidate: true);
            Harness.Report(Harness.Compare($"VectorKernels.SquaredL2 d={d}", () => sink += VectorKernels.SquaredL2(a, b), "naive squared L2", () => sink += NaiveL2(a, b)),
                "speed-up", "goal > 1", baselineOverCandidate: true);
            Harness.Report(Harness.Compare($"VectorKernels.CenterAndNormalize d={d}", () => VectorKernels.CenterAndNormalize(a, b, dst), "naive centre+normalise", () => NaiveCenterNormalize(a, b, dst)),
                "speed-up", "goal > 1", baselineOverCandidate: true);
            GC.KeepAlive(sink);
        }
        {
            var rng = new Random(7);
            float[] scores = Vector(rng, 10_000);
            var idx = new int[10];
            var val = new float[10];
            Harness.Report(Harness.Compare("VectorKernels.TopK n=10000 k=10", () => VectorKernels.TopK(scores, idx, val), "naive copy + Array.Sort + take 10", () => NaiveTopK(scores, idx)),
                "speed-up", "goal > 1", baselineOverCandidate: true);
        }
    }

    internal static float[] Vector(Random rng, int d)
    {
        var v = new float[d];
        for (int i = 0; i < d; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }

    private static float NaiveDot(float[] a, float[] b)
    {
        float s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private static float NaiveCosine(float[] a, float[] b)
    {
        float s = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { s += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        return s / MathF.Sqrt(na * nb);
    }

    private static float NaiveL2(float[] a, float[] b)
    {
        float s = 0;
        for (int i = 0; i < a.Length; i++) { float d = a[i] - b[i]; s += d * d; }
        return s;
    }

    private static void NaiveCenterNormalize(float[] a, float[] c, float[] dst)
    {
        float n = 0;
        for (int i = 0; i < a.Length; i++) { dst[i] = a[i] - c[i]; n += dst[i] * dst[i]; }
        n = MathF.Sqrt(n);
        for (int i = 0; i < a.Length; i++) dst[i] /= n;
    }

    private static void NaiveTopK(float[] scores, int[] idx)
    {
        var keys = (float[])scores.Clone();
        int[] order = new int[keys.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(keys, order);
        for (int i = 0; i < idx.Length; i++) idx[i] = order[order.Length - 1 - i];
    }
}
