using EdgeCL.Core.Errors;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Tests.Vectors;

public class VectorKernelsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(96)]
    [InlineData(513)]
    public void Kernels_RandomVectors_MatchNaiveLoops(int d)
    {
        var rng = new Random(d);
        float[] a = TestVectors.Random(rng, d), b = TestVectors.Random(rng, d);
        double dot = 0, na = 0, nb = 0, l2 = 0;
        for (int i = 0; i < d; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
            l2 += (a[i] - b[i]) * (a[i] - b[i]);
        }
        Assert.Equal(dot, VectorKernels.Dot(a, b), 3);
        Assert.Equal(dot / Math.Sqrt(na * nb), VectorKernels.Cosine(a, b), 4);
        Assert.Equal(l2, VectorKernels.SquaredL2(a, b), 3);
        Assert.Equal(Math.Sqrt(na), VectorKernels.Norm(a), 4);
    }

    [Fact]
    public void CenterAndNormalize_Vector_HasUnitNormAndRemovesCentre()
    {
        float[] v = [3, 4, 5], c = [0, 0, 5], dst = new float[3];
        VectorKernels.CenterAndNormalize(v, c, dst);
        Assert.Equal([0.6f, 0.8f, 0f], dst);
    }

    [Fact]
    public void NormalizeInPlace_ZeroVector_StaysZero()
    {
        float[] v = new float[4];
        Assert.Equal(0f, VectorKernels.NormalizeInPlace(v));
        Assert.All(v, x => Assert.Equal(0f, x));
    }

    [Fact]
    public void Softmax_ShiftedScores_SumToOneAndAreStable()
    {
        float[] s = [1000f, 1001f, 1002f], p = new float[3];
        VectorKernels.Softmax(s, 1f, p);
        Assert.Equal(1f, p.Sum(), 5);
        Assert.True(p[2] > p[1] && p[1] > p[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => VectorKernels.Softmax(s, 0f, p));
    }

    [Fact]
    public void Entropy_Uniform_IsLnC()
    {
        float[] p = [0.25f, 0.25f, 0.25f, 0.25f];
        Assert.Equal(MathF.Log(4), VectorKernels.Entropy(p), 5);
        Assert.Equal(0f, VectorKernels.Entropy([1f, 0f]));
    }

    [Fact]
    public void TopK_RandomScores_MatchesSortWithStableTies()
    {
        var rng = new Random(3);
        for (int trial = 0; trial < 200; trial++)
        {
            int n = rng.Next(1, 300), k = rng.Next(1, 12); // long enough for the SIMD skip of whole vectors
            float[] scores = Enumerable.Range(0, n).Select(_ => (float)rng.Next(0, 10)).ToArray();
            var idx = new int[k];
            var val = new float[k];
            int got = VectorKernels.TopK(scores, idx, val);
            int[] expected = Enumerable.Range(0, n).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k).ToArray();
            Assert.Equal(Math.Min(k, n), got);
            Assert.Equal(expected, idx[..got]);
        }
    }

    [Fact]
    public void EnsureValidEmbedding_BadInput_ThrowsWithClearMessage()
    {
        var wrong = Assert.Throws<EmbeddingException>(() => VectorKernels.EnsureValidEmbedding(new float[3], 4));
        Assert.Contains("has 3 values but this memory expects 4", wrong.Message);
        var nan = Assert.Throws<EmbeddingException>(() => VectorKernels.EnsureValidEmbedding([0f, float.NaN], 2));
        Assert.Contains("NaN or infinity at index 1", nan.Message);
        Assert.Throws<EmbeddingException>(() => VectorKernels.EnsureValidEmbedding([float.PositiveInfinity, 0f], 2));
        VectorKernels.EnsureValidEmbedding([float.MaxValue, float.MaxValue], 2); // overflow in the fast check is not an error
    }

    [Fact]
    public void RowKernels_Matrix_MatchPerRowKernels()
    {
        var rng = new Random(5);
        int d = 33, rows = 9;
        float[] m = TestVectors.Random(rng, rows * d), q = TestVectors.Random(rng, d);
        var dots = new float[rows];
        var l2 = new float[rows];
        VectorKernels.DotRows(m, d, q, dots);
        VectorKernels.NegativeSquaredL2Rows(m, d, q, l2);
        for (int r = 0; r < rows; r++)
        {
            Assert.Equal(VectorKernels.Dot(m.AsSpan(r * d, d), q), dots[r], 4);
            Assert.Equal(-VectorKernels.SquaredL2(m.AsSpan(r * d, d), q), l2[r], 3);
        }
    }
}
