using EdgeCL.Core.Learning;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Tests.Vectors;

public class RowSearchTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(96)]
    [InlineData(100)]
    [InlineData(512)]
    public void Dot_EveryRowCountAndWidth_MatchesDoubleReference(int d)
    {
        var rng = new Random(d);
        foreach (int rows in new[] { 0, 1, 3, 4, 5, 9, 37 })
        {
            float[] m = TestVectors.Random(rng, rows * d), q = TestVectors.Random(rng, d);
            var scores = new float[rows];
            RowSearch.Dot(m, d, q, scores);
            for (int r = 0; r < rows; r++)
            {
                double exact = 0;
                for (int j = 0; j < d; j++)
                    exact += (double)m[r * d + j] * q[j];
                Assert.True(Math.Abs(exact - scores[r]) <= 1e-5 * Math.Max(1, d), $"d={d} rows={rows} row {r}: {scores[r]} vs {exact}");
            }
        }
    }

    [Theory]
    [InlineData(96, 1000, 5)]
    [InlineData(512, 300, 5)]
    [InlineData(24, 700, 12)]
    [InlineData(7, 40, 3)]
    public void TopK_AcrossBlocks_MatchesSortOfAllScoresWithStableTies(int d, int rows, int k)
    {
        var rng = new Random(rows);
        float[] m = TestVectors.Random(rng, rows * d);
        // Exact ties: copies of earlier rows, some across the 256-row block boundary.
        for (int r = 5; r < rows; r += 97)
            m.AsSpan((r - 5) * d, d).CopyTo(m.AsSpan(r * d, d));
        for (int trial = 0; trial < 20; trial++)
        {
            float[] q = trial % 2 == 0 ? TestVectors.Random(rng, d) : m.AsSpan(rng.Next(rows) * d, d).ToArray();
            var all = new float[rows];
            RowSearch.Dot(m, d, q, all);
            int[] expected = Enumerable.Range(0, rows).OrderByDescending(i => all[i]).ThenBy(i => i).Take(k).ToArray();
            var idx = new int[k];
            var val = new float[k];
            Assert.Equal(Math.Min(k, rows), RowSearch.TopK(m, d, rows, q, idx, val));
            Assert.Equal(expected, idx);
            Assert.Equal(expected.Select(i => all[i]).ToArray(), val);
        }
    }

    [Fact]
    public void TopK_MoreNeighboursThanRows_ReturnsEveryRowSorted()
    {
        float[] m = [1, 0, 0, 1, 1, 1];
        var idx = new int[5];
        var val = new float[5];
        Assert.Equal(3, RowSearch.TopK(m, 2, 3, [1f, 0.5f], idx, val));
        Assert.Equal([2, 0, 1], idx[..3]);
        Assert.Equal(0, RowSearch.TopK(m, 2, 0, [1f, 0.5f], idx, val));
        Assert.Throws<ArgumentException>(() => RowSearch.TopK(m, 2, 4, [1f, 0.5f], idx, val));
    }

    [Fact]
    public void KnnLearner_FiveNeighbours_VotesLikeNaiveReference()
    {
        var rng = new Random(11);
        int d = 32, classes = 6;
        var space = new EmbeddingSpace("ab12", d);
        var learner = new KnnLearner(space, LearnerOptions.Default with
        {
            Parameters = new Dictionary<string, string>(StringComparer.Ordinal) { [KnnLearner.NeighboursKey] = "5" },
        });
        var rows = new List<(int Class, float[] X)>();
        for (int i = 0; i < 300; i++)
        {
            int c = i % classes;
            float[] x = TestVectors.Random(rng, d, 0.6f, c * 0.3f);
            rows.Add((c, x));
            learner.Learn("c" + c, x);
        }
        double[] centre = new double[d];
        foreach (var (_, x) in rows)
            for (int j = 0; j < d; j++) centre[j] += x[j] / rows.Count;
        double[][] prepared = rows.Select(r => Unit(r.X, centre)).ToArray();
        for (int t = 0; t < 100; t++)
        {
            float[] query = TestVectors.Random(rng, d, 0.8f, 0.7f);
            double[] q = Unit(query, centre);
            double[] sims = prepared.Select(p => p.Zip(q, (a, b) => a * b).Sum()).ToArray();
            int[] top = Enumerable.Range(0, sims.Length).OrderByDescending(i => sims[i]).Take(5).ToArray();
            double[] best = Enumerable.Range(0, classes).Select(c => Enumerable.Range(0, sims.Length).Where(i => rows[i].Class == c).Max(i => sims[i])).ToArray();
            int expected = Enumerable.Range(0, classes).OrderByDescending(c => top.Count(i => rows[i].Class == c)).ThenByDescending(c => best[c]).First();
            Assert.Equal("c" + expected, learner.Predict(query).Label);
        }
    }

    private static double[] Unit(float[] x, double[] centre)
    {
        double[] v = x.Select((value, j) => value - centre[j]).ToArray();
        double n = Math.Sqrt(v.Sum(a => a * a));
        return v.Select(a => a / n).ToArray();
    }
}
