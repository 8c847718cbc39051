using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Benchmarks;

/// <summary>Prototype predict+update against a naive list-of-arrays nearest-class-mean.</summary>
internal static class PrototypeBenchmarks
{
    public static void Run()
    {
        Console.WriteLine("== prototype memory (100 classes): predict + update vs naive List<float[]> NCM (ratio = naive / EdgeCL)");
        foreach (int d in new[] { 96, 512 })
        {
            var (memory, naive, queries) = Build(d);
            int q = 0;
            Harness.Report(Harness.Compare($"PrototypeMemory predict+update d={d}", () =>
                {
                    float[] x = queries[q++ & 63];
                    Prediction p = memory.Predict(x);
                    memory.Add(p.Label, x);
                }, "naive NCM predict+update (LINQ-free loops)", () =>
                {
                    float[] x = queries[q++ & 63];
                    int c = naive.Predict(x);
                    naive.Add(c, x);
                }),
                "speed-up", "goal > 1, 0 B/op", baselineOverCandidate: true);
        }
    }

    /// <summary>100 classes × 5 shots, plus 64 queries.</summary>
    internal static (PrototypeMemory Memory, NaiveNcm Naive, float[][] Queries) Build(int d)
    {
        var rng = new Random(d);
        var memory = new PrototypeMemory(new EmbeddingSpace("0123456789abcdef", d));
        var naive = new NaiveNcm(d);
        for (int c = 0; c < 100; c++)
        {
            float[] centre = KernelBenchmarks.Vector(rng, d);
            for (int s = 0; s < 5; s++)
            {
                float[] x = centre.Select(v => v + 0.1f * (float)(rng.NextDouble() - 0.5)).ToArray();
                memory.Add($"class-{c:D3}", x);
                naive.Add(c, x);
            }
        }
        float[][] queries = Enumerable.Range(0, 64).Select(_ => KernelBenchmarks.Vector(rng, d)).ToArray();
        return (memory, naive, queries);
    }

    /// <summary>The textbook implementation: sums per class, centred cosine recomputed per query with scalar loops.</summary>
    internal sealed class NaiveNcm(int d)
    {
        private readonly List<double[]> _sums = [];
        private readonly List<long> _counts = [];

        public void Add(int c, float[] x)
        {
            while (_sums.Count <= c) { _sums.Add(new double[d]); _counts.Add(0); }
            for (int j = 0; j < d; j++) _sums[c][j] += x[j];
            _counts[c]++;
        }

        public int Predict(float[] x)
        {
            var centre = new double[d];
            long total = 0;
            for (int c = 0; c < _sums.Count; c++) { for (int j = 0; j < d; j++) centre[j] += _sums[c][j]; total += _counts[c]; }
            for (int j = 0; j < d; j++) centre[j] /= total;
            int best = -1;
            double bestScore = double.NegativeInfinity;
            for (int c = 0; c < _sums.Count; c++)
            {
                double dot = 0, nq = 0, nm = 0;
                for (int j = 0; j < d; j++)
                {
                    double m = _sums[c][j] / _counts[c] - centre[j], q = x[j] - centre[j];
                    dot += m * q; nq += q * q; nm += m * m;
                }
                double s = dot / Math.Sqrt(nq * nm);
                if (s > bestScore) { bestScore = s; best = c; }
            }
            return best;
        }
    }
}
