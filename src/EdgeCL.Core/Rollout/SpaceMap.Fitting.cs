using System.Numerics.Tensors;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Rollout;

/// <summary>Fitting: centre both sides, then scaled orthogonal Procrustes or ridge least squares in double precision.</summary>
public sealed partial class SpaceMap
{
    /// <summary>
    /// Fits a map from paired embeddings: row i of <paramref name="sourceRows"/> and row i of <paramref name="targetRows"/>
    /// are the same input embedded in <paramref name="source"/> and in <paramref name="target"/>.
    /// </summary>
    /// <param name="source">The old space.</param>
    /// <param name="target">The new space.</param>
    /// <param name="sourceRows">n × source dimension, row-major.</param>
    /// <param name="targetRows">n × target dimension, row-major.</param>
    /// <param name="options">Settings, or null for the defaults.</param>
    /// <exception cref="RolloutException">Too few pairs, row counts that differ, wrong lengths, NaN/Inf, or pairs that do not vary.</exception>
    public static SpaceMap Fit(EmbeddingSpace source, EmbeddingSpace target, ReadOnlySpan<float> sourceRows, ReadOnlySpan<float> targetRows,
        SpaceMapOptions? options = null)
    {
        ValidateSpaces(source, target);
        options ??= SpaceMapOptions.Default;
        options.Validate();
        int p = source.Dimension, q = target.Dimension;
        if (sourceRows.Length % p != 0 || targetRows.Length % q != 0)
            throw new RolloutException(
                $"Paired embeddings have {sourceRows.Length} and {targetRows.Length} values, not whole rows of {p} and {q}; " +
                "each side must be embedded by its own backbone.");
        int n = sourceRows.Length / p;
        if (targetRows.Length / q != n)
            throw new RolloutException($"The map needs the same inputs in both spaces, got {n} source rows and {targetRows.Length / q} target rows.");
        if (n < options.MinimumPairs)
            throw new RolloutException(
                $"A space map needs at least {options.MinimumPairs} paired embeddings, got {n}; keep more exemplars or add calibration inputs.");
        if (!VectorKernels.AllFinite(sourceRows) || !VectorKernels.AllFinite(targetRows))
            throw new RolloutException("Paired embeddings hold NaN or infinity; check the backbones and inputs before fitting a map.");

        // Centred copies in both layouts: features as columns (n × p) for the normal equations, pairs as columns (p × n) for the dual.
        double[] sourceMean = ColumnMeans(sourceRows, n, p), targetMean = ColumnMeans(targetRows, n, q);
        double[] xByFeature = Centred(sourceRows, n, p, sourceMean), yByFeature = Centred(targetRows, n, q, targetMean);
        double sourceEnergy = TensorPrimitives.Dot<double>(xByFeature, xByFeature);
        double targetEnergy = TensorPrimitives.Dot<double>(yByFeature, yByFeature);
        if (!(sourceEnergy > 0) || !(targetEnergy > 0))
            throw new RolloutException(
                $"The {n} paired embeddings are all the same in the {(sourceEnergy > 0 ? "target" : "source")} space; fit the map on different inputs.");

        double[] w = options.Kind == SpaceMapKind.Procrustes
            ? FitProcrustes(xByFeature, yByFeature, n, p, q, sourceEnergy)
            : FitRidge(xByFeature, yByFeature, n, p, q, options.RidgeStrength * sourceEnergy / p);

        // y = W·(x − x̄) + ȳ = W·x + (ȳ − W·x̄): store W and the folded offset in float, as prototypes are.
        var matrix = new float[q * p];
        var offset = new float[q];
        for (int a = 0; a < q; a++)
        {
            double shift = targetMean[a];
            for (int b = 0; b < p; b++)
            {
                double value = w[a * p + b];
                matrix[a * p + b] = (float)value;
                shift -= value * sourceMean[b];
            }
            offset[a] = (float)shift;
        }
        if (!VectorKernels.AllFinite(matrix) || !VectorKernels.AllFinite(offset))
            throw new RolloutException("The fitted map overflowed float range; the paired embeddings are badly scaled.");
        var map = new SpaceMap(source, target, options.Kind, n, matrix, offset, explained: 0);
        return new SpaceMap(source, target, options.Kind, n, matrix, offset, map.ExplainedOn(sourceRows, targetRows, targetEnergy));
    }

    /// <summary>Most majorization steps of the wide Procrustes fit. Each costs one warm-started SVD and lowers the residual;
    /// on anisotropic embeddings the steps shrink slowly (linear convergence, rate about 1 − λmin/λmax of XᵀX), so the fit
    /// stops here rather than at the optimum.</summary>
    private const int MaxMajorizationSteps = 50;

    /// <summary>
    /// Scaled orthogonal Procrustes (Schönemann 1966; the scale of Umeyama 1991): with M = Ycᵀ·Xc = U·Σ·Vᵀ, R = U·Vᵀ and
    /// s = tr(R·Mᵀ) / tr(R·C·Rᵀ), C = Xcᵀ·Xc. When the target is at least as large (R with orthonormal columns) this is the exact
    /// least-squares optimum. When it is smaller (R with orthonormal rows: rotate, then project) the optimum has no closed
    /// form, because how much of X a projection keeps depends on R; there the closed form only starts an iterative
    /// majorization (Koschat and Swayne 1991) that lowers ‖Yc − s·R·Xc‖² at every step until it stops improving.
    /// Directions with a zero singular value (fewer pairs than dimensions) are not seen by the data; they map to zero rather
    /// than to an arbitrary orthogonal completion, so R is then a partial isometry.
    /// </summary>
    /// <returns>s·R, target × source, row-major.</returns>
    private static double[] FitProcrustes(double[] xByFeature, double[] yByFeature, int n, int p, int q, double sourceEnergy)
    {
        // M row-major (q × p) is Mᵀ column-major, which is Xcᵀ·Yc.
        double[] m = DenseSolver.TransposeTimes(xByFeature, n, p, yByFeature, q);
        double[]? basis = null;
        double[] r = DenseSolver.PolarFactor(m, q, p, ref basis);
        if (q >= p)
        {
            // tr(R·C·Rᵀ) = tr(C) = ‖Xc‖² when RᵀR = I (on the seen directions).
            double scale = TensorPrimitives.Dot<double>(r, m) / sourceEnergy;
            TensorPrimitives.Multiply<double>(r, scale, r);
            return r;
        }
        double[] c = DenseSolver.TransposeTimes(xByFeature, n, p, xByFeature, p);
        double rho = DenseSolver.LargestEigenvalue(c, p) * (1 + 1e-9) + 1e-300;
        var rc = new double[q * p];
        var a = new double[q * p];
        double s = 0, previous = double.PositiveInfinity;
        for (int step = 0; step < MaxMajorizationSteps; step++)
        {
            DenseSolver.RowsTimesSymmetric(r, q, c, p, rc);
            double cross = TensorPrimitives.Dot<double>(r, m), energy = TensorPrimitives.Dot<double>(r, rc);
            if (!(energy > 0))
                break;
            s = cross / energy;
            // ‖Yc − s·R·Xc‖² − ‖Yc‖² at the optimal s for this R.
            double objective = -cross * cross / energy;
            if (previous - objective <= 1e-9 * Math.Abs(objective))
                break;
            previous = objective;
            // The majorizer: tr(R·C·Rᵀ) = tr(R·(C − ρI)·Rᵀ) + ρ·q is concave in R; linearised at the current R it leaves
            // maximise tr(Rᵀ·(s·M − s²·R·(C − ρI))), solved by the polar factor.
            for (int i = 0; i < a.Length; i++)
                a[i] = s * m[i] - s * s * (rc[i] - rho * r[i]);
            r = DenseSolver.PolarFactor(a, q, p, ref basis);
        }
        TensorPrimitives.Multiply<double>(r, s, r);
        return r;
    }

    /// <summary>
    /// Ridge least squares: Wᵀ = (XcᵀXc + λI)⁻¹·XcᵀYc, or, with fewer pairs than source dimensions, the same solution from the
    /// n × n dual Wᵀ = Xcᵀ·(XcXcᵀ + λI)⁻¹·Yc (the push-through identity), whichever system is smaller.
    /// </summary>
    /// <returns>W, target × source, row-major (the memory of Wᵀ column-major).</returns>
    private static double[] FitRidge(double[] xByFeature, double[] yByFeature, int n, int p, int q, double lambda)
    {
        if (n >= p)
        {
            double[] gram = DenseSolver.TransposeTimes(xByFeature, n, p, xByFeature, p);
            AddToDiagonal(gram, p, lambda);
            double[] rhs = DenseSolver.TransposeTimes(xByFeature, n, p, yByFeature, q);
            return DenseSolver.CholeskySolve(gram, p, rhs, q) ? rhs : throw NotSolvable(n, p);
        }
        double[] xByPair = DenseSolver.Transpose(xByFeature, n, p);
        double[] kernel = DenseSolver.TransposeTimes(xByPair, p, n, xByPair, n);
        AddToDiagonal(kernel, n, lambda);
        double[] z = (double[])yByFeature.Clone();
        if (!DenseSolver.CholeskySolve(kernel, n, z, q))
            throw NotSolvable(n, p);
        return DenseSolver.TransposeTimes(xByFeature, n, p, z, q);
    }

    private static RolloutException NotSolvable(int n, int p) =>
        new($"The ridge system of {n} pairs in {p} dimensions is not positive definite; raise the ridge strength or fit on more varied inputs.");

    private double ExplainedOn(ReadOnlySpan<float> sourceRows, ReadOnlySpan<float> targetRows, double targetEnergy)
    {
        int p = Source.Dimension, q = Target.Dimension, n = sourceRows.Length / p;
        var mapped = new float[q];
        double residual = 0;
        for (int r = 0; r < n; r++)
        {
            Apply(sourceRows.Slice(r * p, p), mapped);
            float distance = TensorPrimitives.Distance(mapped, targetRows.Slice(r * q, q));
            residual += (double)distance * distance;
        }
        return 1 - residual / targetEnergy;
    }

    private static double[] ColumnMeans(ReadOnlySpan<float> rows, int n, int d)
    {
        var mean = new double[d];
        for (int r = 0; r < n; r++)
        {
            ReadOnlySpan<float> row = rows.Slice(r * d, d);
            for (int j = 0; j < d; j++)
                mean[j] += row[j];
        }
        TensorPrimitives.Multiply<double>(mean, 1.0 / n, mean);
        return mean;
    }

    /// <summary>Row-major n × d floats minus the column means, as column-major n × d doubles (one column per feature).</summary>
    private static double[] Centred(ReadOnlySpan<float> rows, int n, int d, double[] mean)
    {
        var result = new double[n * d];
        for (int r = 0; r < n; r++)
        {
            ReadOnlySpan<float> row = rows.Slice(r * d, d);
            for (int j = 0; j < d; j++)
                result[j * n + r] = row[j] - mean[j];
        }
        return result;
    }

    private static void AddToDiagonal(double[] a, int n, double value)
    {
        for (int i = 0; i < n; i++)
            a[i * n + i] += value;
    }
}
