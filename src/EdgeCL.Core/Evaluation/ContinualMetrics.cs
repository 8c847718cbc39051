namespace EdgeCL.Core.Evaluation;

/// <summary>The continual-learning metrics of algorithms.md §5, as pure functions over accuracies.</summary>
/// <remarks>
/// <para>Accuracy matrices are jagged arrays <c>r[t][j]</c> = accuracy of held-out set j after task t, with
/// <see cref="double.NaN"/> where set j was not evaluated (its task had not started). <c>firstTask[j]</c> is the
/// task that introduces set j (τ_j; in the classic one-set-per-task layout τ_j = j). The final row is the last one.
/// Every function returns NaN when its quantity is undefined (e.g. forgetting with a single task).</para>
/// </remarks>
public static class ContinualMetrics
{
    /// <summary>ACC (GEM): the mean over sets of the final row, R[T][j].</summary>
    public static double AverageAccuracy(double[][] r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return r.Length == 0 ? double.NaN : Mean(r[^1]);
    }

    /// <summary>Average incremental accuracy (iCaRL): Ā = (1/T) Σ_t A_t, where A_t is the pooled (sample-weighted)
    /// accuracy over every set seen after task t.</summary>
    public static double AverageIncrementalAccuracy(IReadOnlyList<double> pooledAccuracyPerTask)
    {
        ArgumentNullException.ThrowIfNull(pooledAccuracyPerTask);
        return Mean(pooledAccuracyPerTask);
    }

    /// <summary>BWT (GEM): mean over sets introduced before the final task of R[T][j] − R[τ_j][j].</summary>
    public static double BackwardTransfer(double[][] r, IReadOnlyList<int> firstTask)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(firstTask);
        int last = r.Length - 1;
        double sum = 0;
        int n = 0;
        for (int j = 0; j < firstTask.Count; j++)
        {
            int tau = firstTask[j];
            if (tau >= last || tau < 0 || double.IsNaN(r[last][j]) || double.IsNaN(r[tau][j]))
                continue;
            sum += r[last][j] - r[tau][j];
            n++;
        }
        return n == 0 ? double.NaN : sum / n;
    }

    /// <summary>Forgetting (Chaudhry et al.): mean over sets introduced before the final task of
    /// max_{τ_j ≤ t &lt; T} R[t][j] − R[T][j] (the best accuracy ever minus the last; not Avalanche's first − last).</summary>
    public static double Forgetting(double[][] r, IReadOnlyList<int> firstTask)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(firstTask);
        int last = r.Length - 1;
        double sum = 0;
        int n = 0;
        for (int j = 0; j < firstTask.Count; j++)
        {
            int tau = firstTask[j];
            if (tau >= last || tau < 0 || double.IsNaN(r[last][j]))
                continue;
            double best = double.NegativeInfinity;
            for (int t = tau; t < last; t++)
                if (!double.IsNaN(r[t][j]) && r[t][j] > best)
                    best = r[t][j];
            if (double.IsNegativeInfinity(best))
                continue;
            sum += best - r[last][j];
            n++;
        }
        return n == 0 ? double.NaN : sum / n;
    }

    /// <summary>Average min-ACC (De Lange et al. 2023): for every set whose task has ended, the lowest accuracy
    /// measured at any evaluation after that, averaged over those sets.</summary>
    /// <param name="accuracyAfterTrainingEnded">Per set: its accuracies at evaluations after its task ended (empty when none).</param>
    public static double AverageMinAccuracy(IReadOnlyList<IReadOnlyList<double>> accuracyAfterTrainingEnded)
    {
        ArgumentNullException.ThrowIfNull(accuracyAfterTrainingEnded);
        var mins = new List<double>();
        foreach (IReadOnlyList<double> series in accuracyAfterTrainingEnded)
            if (series.Count > 0)
                mins.Add(series.Min());
        return Mean(mins);
    }

    /// <summary>WC-ACC (De Lange et al. 2023): (1/k)·A(E_k) + (1 − 1/k)·mean_{i&lt;k} min-ACC_i for the current
    /// set k (k = number of sets seen).</summary>
    /// <param name="currentAccuracy">Accuracy of the current task's set at the final evaluation.</param>
    /// <param name="previousMinAccuracies">min-ACC of each earlier set.</param>
    public static double WorstCaseAccuracy(double currentAccuracy, IReadOnlyList<double> previousMinAccuracies)
    {
        ArgumentNullException.ThrowIfNull(previousMinAccuracies);
        if (double.IsNaN(currentAccuracy))
            return double.NaN;
        if (previousMinAccuracies.Count == 0)
            return currentAccuracy;
        double k = previousMinAccuracies.Count + 1;
        return currentAccuracy / k + (1 - 1 / k) * Mean(previousMinAccuracies);
    }

    /// <summary>Windowed forgetting WF^w (De Lange et al. 2023): the largest drop A_a − A_b (a before b) between
    /// two evaluations at most w − 1 evaluations apart, over the whole series; 0 when accuracy never drops.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Window below 2.</exception>
    public static double WindowedForgetting(IReadOnlyList<double> series, int window)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 2);
        if (series.Count == 0)
            return double.NaN;
        double worst = 0;
        for (int b = 1; b < series.Count; b++)
            for (int a = Math.Max(0, b - window + 1); a < b; a++)
                worst = Math.Max(worst, series[a] - series[b]);
        return worst;
    }

    /// <summary>Mean of the non-NaN values, NaN when there are none.</summary>
    public static double Mean(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        double sum = 0;
        int n = 0;
        foreach (double v in values)
        {
            if (double.IsNaN(v))
                continue;
            sum += v;
            n++;
        }
        return n == 0 ? double.NaN : sum / n;
    }
}
