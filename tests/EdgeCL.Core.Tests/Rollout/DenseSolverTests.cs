using EdgeCL.Core.Rollout;
using static EdgeCL.Core.Tests.Rollout.LinearAlgebra;

namespace EdgeCL.Core.Tests.Rollout;

public class DenseSolverTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void JacobiSvd_ColdOrWarmStart_ReconstructsTheMatrix(bool warm)
    {
        var rng = new Random(21);
        const int m = 20, k = 8;
        double[] a = RandomRows(rng, m, k).Select(x => (double)x).ToArray(); // column-major m × k
        double[] work = (double[])a.Clone();
        var v = new double[k * k];
        double[]? start = warm ? Rotations(rng, k) : null;
        double[] sigma = DenseSolver.JacobiSvd(work, m, k, v, start);

        // work = U·Σ, so A = work·Vᵀ; and the columns of work are orthogonal.
        for (int i = 0; i < m; i++)
            for (int j = 0; j < k; j++)
            {
                double sum = 0;
                for (int c = 0; c < k; c++)
                    sum += work[c * m + i] * v[c * k + j];
                Assert.InRange(sum, a[j * m + i] - 1e-9, a[j * m + i] + 1e-9);
            }
        for (int c = 0; c < k; c++)
            for (int d = c + 1; d < k; d++)
            {
                double dot = 0;
                for (int i = 0; i < m; i++)
                    dot += work[c * m + i] * work[d * m + i];
                Assert.True(Math.Abs(dot) < 1e-9 * sigma[c] * sigma[d] + 1e-12);
            }
    }

    /// <summary>An orthogonal k × k matrix exact in double: a product of Givens rotations.</summary>
    private static double[] Rotations(Random rng, int k)
    {
        var q = new double[k * k];
        for (int i = 0; i < k; i++)
            q[i * k + i] = 1;
        for (int step = 0; step < 3 * k; step++)
        {
            int i = rng.Next(k), j = (i + 1 + rng.Next(k - 1)) % k;
            double angle = rng.NextDouble() * 2 * Math.PI, c = Math.Cos(angle), s = Math.Sin(angle);
            for (int r = 0; r < k; r++)
            {
                double x = q[i * k + r], y = q[j * k + r];
                q[i * k + r] = c * x - s * y;
                q[j * k + r] = s * x + c * y;
            }
        }
        return q;
    }

    [Fact]
    public void CholeskySolve_SolvesAndRefusesAnIndefiniteMatrix()
    {
        double[] g = [4, 2, 2, 3]; // [[4, 2], [2, 3]]
        double[] b = [2, 1, 0, 1]; // two right-hand sides: (2, 1) and (0, 1)
        Assert.True(DenseSolver.CholeskySolve(g, 2, b, 2));
        Assert.Equal([0.5, 0, -0.25, 0.5], b.Select(x => Math.Round(x, 12)));
        Assert.False(DenseSolver.CholeskySolve([1, 2, 2, 1], 2, [1, 1], 1));
    }
}
