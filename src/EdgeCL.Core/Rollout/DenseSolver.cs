using System.Numerics.Tensors;

namespace EdgeCL.Core.Rollout;

/// <summary>
/// The few dense linear-algebra steps a space map needs, in double precision and managed code: the thin SVD of a small
/// matrix (one-sided Jacobi) and a symmetric positive-definite solve (Cholesky).
/// </summary>
/// <remarks>
/// <para>Matrices are column-major <c>double[]</c> (column <c>j</c> of an m-row matrix is <c>a.AsSpan(j * m, m)</c>), so every
/// inner loop is a <see cref="TensorPrimitives"/> call over a contiguous column.</para>
/// <para>Deterministic: the Jacobi sweeps visit column pairs in a fixed order, so the same input gives the same output on
/// one machine (the SIMD width of TensorPrimitives may change the last bits between machines).</para>
/// <para>Cost: the SVD of an m×k matrix (m ≥ k) is about 3·m·k² flops per sweep and converges in 6-12 sweeps; a
/// 288×96 map fits in milliseconds. A 2048×2048 map would take minutes: fit it off the device.</para>
/// </remarks>
internal static class DenseSolver
{
    /// <summary>Most Jacobi sweeps before the SVD is declared not to converge (it takes 6-12 on well-scaled data).</summary>
    private const int MaxSweeps = 60;

    /// <summary>
    /// Thin SVD by one-sided Jacobi (Hestenes 1958): A·V = U·Σ. Overwrites <paramref name="a"/> (m×k, m ≥ k) with U·Σ
    /// and writes V (k×k) to <paramref name="v"/>; returns the singular values (column norms of U·Σ), unsorted.
    /// </summary>
    /// <param name="a">m×k, column-major; overwritten with U·Σ.</param>
    /// <param name="m">Rows.</param>
    /// <param name="k">Columns.</param>
    /// <param name="v">Receives V, k×k column-major.</param>
    /// <param name="start">An orthogonal k×k basis to start from (V of a nearby matrix), or null for the identity: a
    /// warm start leaves A·start nearly orthogonal already, so one or two sweeps finish it.</param>
    /// <exception cref="ArithmeticException">No convergence within the sweep limit (non-finite input).</exception>
    public static double[] JacobiSvd(double[] a, int m, int k, double[] v, double[]? start = null)
    {
        if (m < k)
            throw new ArgumentException($"One-sided Jacobi needs rows ≥ columns, got {m}×{k}; pass the transpose.");
        var scratch = new double[Math.Max(m, k)];
        if (start is null)
        {
            Array.Clear(v, 0, k * k);
            for (int j = 0; j < k; j++)
                v[j * k + j] = 1;
        }
        else
        {
            // A ← A·start, column by column: column j is Σᵢ start[i, j]·(column i of A).
            Array.Copy(start, v, k * k);
            double[] product = new double[m * k];
            for (int j = 0; j < k; j++)
            {
                Span<double> column = product.AsSpan(j * m, m);
                for (int i = 0; i < k; i++)
                    TensorPrimitives.MultiplyAdd<double>(a.AsSpan(i * m, m), start[j * k + i], column, column);
            }
            Array.Copy(product, a, m * k);
        }
        for (int sweep = 0; sweep < MaxSweeps; sweep++)
        {
            bool rotated = false;
            for (int i = 0; i < k - 1; i++)
            {
                for (int j = i + 1; j < k; j++)
                {
                    Span<double> ai = a.AsSpan(i * m, m), aj = a.AsSpan(j * m, m);
                    double alpha = TensorPrimitives.Dot<double>(ai, ai);
                    double beta = TensorPrimitives.Dot<double>(aj, aj);
                    double gamma = TensorPrimitives.Dot<double>(ai, aj);
                    // Columns already orthogonal to working precision: no rotation (the convergence test of Demmel & Veselić).
                    if (Math.Abs(gamma) <= 1e-15 * Math.Sqrt(alpha * beta) || gamma == 0)
                        continue;
                    rotated = true;
                    // The rotation that zeroes the (i, j) entry of AᵀA.
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = Math.Sign(zeta == 0 ? 1 : zeta) / (Math.Abs(zeta) + Math.Sqrt(1 + zeta * zeta));
                    double c = 1 / Math.Sqrt(1 + t * t), s = c * t;
                    Rotate(ai, aj, c, s, scratch.AsSpan(0, m));
                    Rotate(v.AsSpan(i * k, k), v.AsSpan(j * k, k), c, s, scratch.AsSpan(0, k));
                }
            }
            if (!rotated)
            {
                var sigma = new double[k];
                for (int j = 0; j < k; j++)
                    sigma[j] = TensorPrimitives.Norm<double>(a.AsSpan(j * m, m));
                return sigma;
            }
        }
        throw new ArithmeticException($"The Jacobi SVD of a {m}×{k} matrix did not converge in {MaxSweeps} sweeps; the input holds non-finite or extreme values.");
    }

    /// <summary>(x, y) ← (c·x − s·y, s·x + c·y).</summary>
    private static void Rotate(Span<double> x, Span<double> y, double c, double s, Span<double> scratch)
    {
        x.CopyTo(scratch);
        TensorPrimitives.Multiply<double>(x, c, x);
        TensorPrimitives.MultiplyAdd<double>(y, -s, x, x);
        TensorPrimitives.Multiply<double>(y, c, y);
        TensorPrimitives.MultiplyAdd<double>(scratch, s, y, y);
    }

    /// <summary>
    /// Solves G·X = B for a symmetric positive-definite G (n×n, column-major; only its lower triangle is read, and it is
    /// not changed) and r right-hand sides B (n×r, column-major, overwritten with X).
    /// </summary>
    /// <returns>False when G is not positive definite (a zero or negative pivot); B is then unspecified.</returns>
    public static bool CholeskySolve(double[] g, int n, double[] b, int r)
    {
        // Left-looking Cholesky G = L·Lᵀ on the columns of G; row j of L is read from column j of Lᵀ (the upper part),
        // which we keep as a copy so that the dot products run over contiguous memory.
        var lt = new double[n * n]; // Lᵀ column-major: column j holds L[j, 0..j]
        for (int j = 0; j < n; j++)
        {
            Span<double> lj = lt.AsSpan(j * n, j);
            for (int i = j; i < n; i++)
            {
                double sum = g[j * n + i] - TensorPrimitives.Dot<double>(lt.AsSpan(i * n, j), lj);
                if (i == j)
                {
                    if (!(sum > 0) || !double.IsFinite(sum))
                        return false;
                    lt[j * n + j] = Math.Sqrt(sum);
                }
                else
                {
                    lt[i * n + j] = sum / lt[j * n + j];
                }
            }
        }
        var y = new double[n];
        for (int c = 0; c < r; c++)
        {
            Span<double> x = b.AsSpan(c * n, n);
            // Forward: L·y = b, where L[i, 0..i) is column i of Lᵀ.
            for (int i = 0; i < n; i++)
                y[i] = (x[i] - TensorPrimitives.Dot<double>(lt.AsSpan(i * n, i), y.AsSpan(0, i))) / lt[i * n + i];
            // Backward: Lᵀ·x = y, row by row from the bottom: x[i] = (y[i] − Σ_{k>i} L[k, i]·x[k]) / L[i, i].
            for (int i = n - 1; i >= 0; i--)
            {
                double sum = y[i];
                for (int k = i + 1; k < n; k++)
                    sum -= lt[k * n + i] * x[k];
                x[i] = sum / lt[i * n + i];
            }
        }
        return true;
    }

    /// <summary>
    /// The polar factor of A (q × p, row-major): R = U·Vᵀ from A = U·Σ·Vᵀ, the matrix with orthonormal rows or columns nearest
    /// to A. Directions with a singular value below 1e-10·max(q, p)·σ_max are dropped (a partial isometry), not completed arbitrarily.
    /// </summary>
    /// <param name="a">A, q × p, row-major; not changed.</param>
    /// <param name="q">Rows.</param>
    /// <param name="p">Columns.</param>
    /// <param name="basis">The right basis of the last call, to warm-start from when A changed little (null the first time); updated.</param>
    /// <returns>R, q × p, row-major.</returns>
    public static double[] PolarFactor(double[] a, int q, int p, ref double[]? basis)
    {
        // One-sided Jacobi needs a tall column-major matrix: Aᵀ (p × q) is A's own memory; A (q × p) is its transpose.
        bool wide = q <= p;
        int rows = wide ? p : q, columns = wide ? q : p;
        double[] work = wide ? (double[])a.Clone() : Transpose(a, p, q);
        var v = new double[columns * columns];
        double[] sigma = JacobiSvd(work, rows, columns, v, basis);
        basis = v;
        double largest = 0;
        foreach (double s in sigma)
            largest = Math.Max(largest, s);
        double cutoff = largest * 1e-10 * Math.Max(rows, columns);
        var r = new double[q * p];
        for (int i = 0; i < columns; i++)
        {
            if (!(sigma[i] > cutoff))
                continue;
            // work's column i is σᵢ times a singular vector of length rows; v's column i the other one, of length columns.
            ReadOnlySpan<double> scaled = work.AsSpan(i * rows, rows), other = v.AsSpan(i * columns, columns);
            // R[t, s] = left[t]·right[s]/σᵢ, left of length q, right of length p; exactly one of them carries σᵢ.
            ReadOnlySpan<double> left = wide ? other : scaled, right = wide ? scaled : other;
            for (int t = 0; t < q; t++)
            {
                Span<double> row = r.AsSpan(t * p, p);
                TensorPrimitives.MultiplyAdd<double>(right, left[t] / sigma[i], row, row);
            }
        }
        return r;
    }

    /// <summary>The largest eigenvalue of a symmetric positive semi-definite matrix (column-major), by power iteration from a fixed start.</summary>
    public static double LargestEigenvalue(double[] c, int n)
    {
        var x = new double[n];
        var y = new double[n];
        x.AsSpan().Fill(1 / Math.Sqrt(n));
        double lambda = 0;
        for (int step = 0; step < 500; step++)
        {
            for (int j = 0; j < n; j++)
                y[j] = TensorPrimitives.Dot<double>(c.AsSpan(j * n, n), x); // C symmetric: column j is row j
            double norm = TensorPrimitives.Norm<double>(y);
            if (!(norm > 0))
                return 0;
            TensorPrimitives.Multiply<double>(y, 1 / norm, x);
            if (Math.Abs(norm - lambda) <= 1e-12 * norm)
                return norm;
            lambda = norm;
        }
        return lambda;
    }

    /// <summary>Writes R·C (q × p, row-major) for R row-major q × p and C symmetric p × p.</summary>
    public static void RowsTimesSymmetric(double[] r, int q, double[] c, int p, double[] result)
    {
        for (int t = 0; t < q; t++)
        {
            ReadOnlySpan<double> row = r.AsSpan(t * p, p);
            for (int j = 0; j < p; j++)
                result[t * p + j] = TensorPrimitives.Dot<double>(row, c.AsSpan(j * p, p));
        }
    }

    /// <summary>The transpose of a column-major m × k matrix, as column-major k × m.</summary>
    public static double[] Transpose(double[] a, int m, int k)
    {
        var t = new double[m * k];
        for (int j = 0; j < k; j++)
            for (int i = 0; i < m; i++)
                t[i * k + j] = a[j * m + i];
        return t;
    }

    /// <summary>C = Aᵀ·B for column-major A (m×p) and B (m×q): C is p×q column-major, each entry one dot of two columns.</summary>
    public static double[] TransposeTimes(double[] a, int m, int p, double[] b, int q)
    {
        var c = new double[p * q];
        for (int j = 0; j < q; j++)
        {
            ReadOnlySpan<double> bj = b.AsSpan(j * m, m);
            for (int i = 0; i < p; i++)
                c[j * p + i] = TensorPrimitives.Dot<double>(a.AsSpan(i * m, m), bj);
        }
        return c;
    }
}
