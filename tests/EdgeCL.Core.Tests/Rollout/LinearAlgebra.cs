namespace EdgeCL.Core.Tests.Rollout;

/// <summary>Small, obviously correct matrix helpers for building known maps in tests (row-major float).</summary>
internal static class LinearAlgebra
{
    /// <summary>A random matrix with orthonormal columns (rows ≥ columns), by Gram-Schmidt on Gaussian columns.</summary>
    public static float[] OrthonormalColumns(Random rng, int rows, int columns)
    {
        var q = new double[columns][];
        for (int j = 0; j < columns; j++)
        {
            var v = new double[rows];
            for (int i = 0; i < rows; i++)
                v[i] = Gaussian(rng);
            for (int k = 0; k < j; k++)
            {
                double dot = 0;
                for (int i = 0; i < rows; i++) dot += v[i] * q[k][i];
                for (int i = 0; i < rows; i++) v[i] -= dot * q[k][i];
            }
            double norm = Math.Sqrt(v.Sum(x => x * x));
            q[j] = v.Select(x => x / norm).ToArray();
        }
        var m = new float[rows * columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
                m[i * columns + j] = (float)q[j][i];
        return m;
    }

    /// <summary>y = W·x + b for each row of <paramref name="x"/> (n × p), W q × p.</summary>
    public static float[] Apply(float[] w, float[] b, int q, int p, float[] x)
    {
        int n = x.Length / p;
        var y = new float[n * q];
        for (int r = 0; r < n; r++)
            for (int a = 0; a < q; a++)
            {
                double sum = b[a];
                for (int s = 0; s < p; s++)
                    sum += (double)w[a * p + s] * x[r * p + s];
                y[r * q + a] = (float)sum;
            }
        return y;
    }

    public static float[] RandomRows(Random rng, int n, int d, float scale = 1f)
    {
        var x = new float[n * d];
        for (int i = 0; i < x.Length; i++)
            x[i] = scale * (float)Gaussian(rng);
        return x;
    }

    public static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    public static double MaxAbsDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        double max = 0;
        for (int i = 0; i < a.Length; i++)
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }

    /// <summary>Mean squared distance between the rows of two row-major matrices.</summary>
    public static double MeanSquaredError(float[] a, float[] b, int d)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
            sum += (double)(a[i] - b[i]) * (a[i] - b[i]);
        return sum / (a.Length / d);
    }
}
