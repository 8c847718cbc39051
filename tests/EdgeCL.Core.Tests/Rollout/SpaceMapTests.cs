using EdgeCL.Core.Errors;
using EdgeCL.Core.Rollout;
using EdgeCL.Core.Vectors;
using static EdgeCL.Core.Tests.Rollout.LinearAlgebra;

namespace EdgeCL.Core.Tests.Rollout;

public class SpaceMapTests
{
    private static EmbeddingSpace Space(string id, int d) => new(id, d);

    [Fact]
    public void Fit_Procrustes_RecoversAKnownScaledRotationAndShift()
    {
        var rng = new Random(1);
        const int d = 12;
        float[] rotation = OrthonormalColumns(rng, d, d);
        float[] w = rotation.Select(x => 2.5f * x).ToArray();
        float[] shift = RandomRows(rng, 1, d, 3f);
        float[] x = RandomRows(rng, 40, d);
        float[] y = Apply(w, shift, d, d, x);

        SpaceMap map = SpaceMap.Fit(Space("aa", d), Space("bb", d), x, y);

        Assert.Equal(SpaceMapKind.Procrustes, map.Kind);
        Assert.Equal(40, map.PairCount);
        Assert.True(MaxAbsDifference(map.Matrix, w) < 2e-5, $"matrix off by {MaxAbsDifference(map.Matrix, w)}");
        Assert.True(MaxAbsDifference(map.Offset, shift) < 2e-5, $"offset off by {MaxAbsDifference(map.Offset, shift)}");
        Assert.InRange(map.Explained, 1 - 1e-6, 1 + 1e-9);
    }

    [Fact]
    public void Fit_Procrustes_SmallerTarget_RecoversTheSegmentAverage()
    {
        // The real pair of speech spaces in miniature: the ordered space concatenates 3 segment means, the plain space is their
        // average, y = [I I I]/3 · x. That map is 1/√3 times a matrix with orthonormal rows, so scaled Procrustes can recover it.
        var rng = new Random(2);
        const int segment = 4, p = 3 * segment;
        var w = new float[segment * p];
        for (int a = 0; a < segment; a++)
            for (int s = 0; s < 3; s++)
                w[a * p + s * segment + a] = 1f / 3;
        // Enough pairs that XᵀX is near isotropic: the majorization then converges within its step limit.
        float[] x = RandomRows(rng, 300, p);
        float[] y = Apply(w, new float[segment], segment, p, x);

        SpaceMap map = SpaceMap.Fit(Space("aa", p), Space("bb", segment), x, y);

        Assert.True(MaxAbsDifference(map.Matrix, w) < 2e-5, $"matrix off by {MaxAbsDifference(map.Matrix, w)}");
        Assert.InRange(map.Explained, 1 - 1e-6, 1 + 1e-9);
    }

    [Fact]
    public void Fit_Procrustes_LargerTarget_GivesOrthonormalColumnsUpToScale()
    {
        var rng = new Random(3);
        const int p = 5, q = 11;
        float[] embed = OrthonormalColumns(rng, q, p);
        float[] x = RandomRows(rng, 25, p);
        float[] y = Apply(embed, new float[q], q, p, x);

        SpaceMap map = SpaceMap.Fit(Space("aa", p), Space("bb", q), x, y);

        Assert.True(MaxAbsDifference(map.Matrix, embed) < 2e-5);
        // WᵀW = I: the map keeps angles of the old space.
        for (int i = 0; i < p; i++)
            for (int j = 0; j < p; j++)
            {
                double dot = 0;
                for (int a = 0; a < q; a++)
                    dot += (double)map.Matrix[a * p + i] * map.Matrix[a * p + j];
                Assert.InRange(dot, (i == j ? 1 : 0) - 1e-5, (i == j ? 1 : 0) + 1e-5);
            }
    }

    [Fact]
    public void Fit_NonOrthogonalMap_RidgeFollowsItAndProcrustesCannot()
    {
        var rng = new Random(4);
        const int d = 8;
        // A stretch by 4 along some axes and a shrink by 0.25 along others, then a rotation: far from orthogonal.
        float[] rotation = OrthonormalColumns(rng, d, d);
        var w = new float[d * d];
        for (int a = 0; a < d; a++)
            for (int s = 0; s < d; s++)
                w[a * d + s] = rotation[a * d + s] * (s % 2 == 0 ? 4f : 0.25f);
        float[] train = RandomRows(rng, 200, d), test = RandomRows(rng, 100, d);
        float[] trainY = Apply(w, new float[d], d, d, train), testY = Apply(w, new float[d], d, d, test);
        for (int i = 0; i < trainY.Length; i++)
            trainY[i] += 0.01f * (float)Gaussian(rng);

        SpaceMap ridge = SpaceMap.Fit(Space("aa", d), Space("bb", d), train, trainY, new SpaceMapOptions { Kind = SpaceMapKind.Ridge, RidgeStrength = 1e-4 });
        SpaceMap procrustes = SpaceMap.Fit(Space("aa", d), Space("bb", d), train, trainY);

        double ridgeError = MeanSquaredError(MapAll(ridge, test, d), testY, d);
        double procrustesError = MeanSquaredError(MapAll(procrustes, test, d), testY, d);
        double energy = MeanSquaredError(testY, new float[testY.Length], d);
        Assert.True(ridgeError < 1e-3 * energy, $"ridge held-out error {ridgeError:G3} of energy {energy:G3}");
        Assert.True(procrustesError > 0.3 * energy, $"procrustes held-out error {procrustesError:G3} of energy {energy:G3}");
        Assert.True(ridge.Explained > 0.999 && procrustes.Explained < 0.7, $"R² ridge {ridge.Explained}, procrustes {procrustes.Explained}");
    }

    [Theory]
    [InlineData(40, 10)] // more pairs than dimensions: the primal p × p system
    [InlineData(7, 16)]  // fewer: the n × n dual
    public void Fit_Ridge_SatisfiesItsNormalEquations(int n, int p)
    {
        var rng = new Random(5 + n);
        const int q = 6;
        float[] x = RandomRows(rng, n, p), y = RandomRows(rng, n, q);
        const double alpha = 0.3;
        SpaceMap map = SpaceMap.Fit(Space("aa", p), Space("bb", q), x, y, new SpaceMapOptions { Kind = SpaceMapKind.Ridge, RidgeStrength = alpha, MinimumPairs = 2 });

        // Centred data; the optimum has Xcᵀ(Xc·Wᵀ − Yc) + λ·Wᵀ = 0 with λ = α·‖Xc‖²/p.
        double[] xm = Means(x, n, p), ym = Means(y, n, q);
        double energy = 0;
        for (int r = 0; r < n; r++)
            for (int s = 0; s < p; s++)
                energy += Math.Pow(x[r * p + s] - xm[s], 2);
        double lambda = alpha * energy / p;
        for (int a = 0; a < q; a++)
            for (int s = 0; s < p; s++)
            {
                double gradient = lambda * map.Matrix[a * p + s];
                for (int r = 0; r < n; r++)
                {
                    double predicted = 0;
                    for (int t = 0; t < p; t++)
                        predicted += map.Matrix[a * p + t] * (x[r * p + t] - xm[t]);
                    gradient += (x[r * p + s] - xm[s]) * (predicted - (y[r * q + a] - ym[a]));
                }
                Assert.True(Math.Abs(gradient) < 1e-4 * energy, $"gradient {gradient} at ({a}, {s})");
            }
    }

    [Fact]
    public void Fit_BadInput_OneClearLine()
    {
        var rng = new Random(6);
        EmbeddingSpace a = Space("aa", 4), b = Space("bb", 6);
        float[] x = RandomRows(rng, 5, 4), y = RandomRows(rng, 5, 6);
        var tooFew = Assert.Throws<RolloutException>(() => SpaceMap.Fit(a, b, x, y));
        Assert.Contains("at least 8 paired embeddings, got 5", tooFew.Message);

        float[] x10 = RandomRows(rng, 10, 4), y9 = RandomRows(rng, 9, 6);
        Assert.Contains("10 source rows and 9 target rows", Assert.Throws<RolloutException>(() => SpaceMap.Fit(a, b, x10, y9)).Message);
        Assert.Contains("whole rows", Assert.Throws<RolloutException>(() => SpaceMap.Fit(a, b, x10.AsSpan(1).ToArray(), y9)).Message);

        float[] y10 = RandomRows(rng, 10, 6);
        y10[17] = float.NaN;
        Assert.Contains("NaN", Assert.Throws<RolloutException>(() => SpaceMap.Fit(a, b, x10, y10)).Message);

        float[] same = Enumerable.Repeat(0.5f, 40).ToArray();
        Assert.Contains("all the same in the source space", Assert.Throws<RolloutException>(() => SpaceMap.Fit(a, b, same, RandomRows(rng, 10, 6))).Message);
    }

    [Fact]
    public void Apply_WrongLengthOrNaN_Refused()
    {
        var rng = new Random(7);
        SpaceMap map = SpaceMap.Fit(Space("aa", 4), Space("bb", 6), RandomRows(rng, 10, 4), RandomRows(rng, 10, 6));
        Assert.Throws<EmbeddingException>(() => map.Apply(new float[5], new float[6]));
        Assert.Throws<EmbeddingException>(() => map.Apply([1, float.NaN, 0, 0], new float[6]));
        Assert.Throws<ArgumentException>(() => map.Apply(new float[4], new float[4]));
    }

    [Fact]
    public void FromParts_RoundTripsAndRefusesBadParts()
    {
        var rng = new Random(8);
        SpaceMap map = SpaceMap.Fit(Space("aa", 4), Space("bb", 6), RandomRows(rng, 10, 4), RandomRows(rng, 10, 6));
        SpaceMap copy = SpaceMap.FromParts(map.Source, map.Target, map.Kind, map.PairCount, map.Explained, map.Matrix, map.Offset);
        float[] v = RandomRows(rng, 1, 4), y1 = new float[6], y2 = new float[6];
        map.Apply(v, y1);
        copy.Apply(v, y2);
        Assert.Equal(y1, y2);
        Assert.Throws<RolloutException>(() => SpaceMap.FromParts(map.Source, map.Target, map.Kind, 10, 1, new float[23], new float[6]));
        float[] broken = map.Matrix.ToArray();
        broken[3] = float.PositiveInfinity;
        Assert.Throws<RolloutException>(() => SpaceMap.FromParts(map.Source, map.Target, map.Kind, 10, 1, broken, map.Offset));
    }

    [Fact]
    public void Fit_SameInput_SameMap()
    {
        var rng = new Random(9);
        float[] x = RandomRows(rng, 50, 20), y = RandomRows(rng, 50, 30);
        SpaceMap first = SpaceMap.Fit(Space("aa", 20), Space("bb", 30), x, y);
        SpaceMap second = SpaceMap.Fit(Space("aa", 20), Space("bb", 30), x, y);
        Assert.True(first.Matrix.SequenceEqual(second.Matrix) && first.Offset.SequenceEqual(second.Offset));
    }

    private static float[] MapAll(SpaceMap map, float[] x, int d)
    {
        int q = map.Target.Dimension, n = x.Length / d;
        var y = new float[n * q];
        for (int r = 0; r < n; r++)
            map.Apply(x.AsSpan(r * d, d), y.AsSpan(r * q, q));
        return y;
    }

    private static double[] Means(float[] rows, int n, int d)
    {
        var m = new double[d];
        for (int r = 0; r < n; r++)
            for (int j = 0; j < d; j++)
                m[j] += rows[r * d + j] / (double)n;
        return m;
    }
}
