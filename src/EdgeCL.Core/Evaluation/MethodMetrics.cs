namespace EdgeCL.Core.Evaluation;

/// <summary>The metrics of one method on one stream (algorithms.md §5), computed from a <see cref="MethodRun"/>.</summary>
/// <remarks>Accuracies are fractions in [0, 1]; NaN where undefined (e.g. forgetting with one task, online error of
/// a domain with no unlabelled steps).</remarks>
public sealed record MethodMetrics
{
    /// <summary>ACC: mean over held-out sets of the final accuracy-matrix row.</summary>
    public required double Accuracy { get; init; }

    /// <summary>A_T: pooled (sample-weighted) held-out accuracy over all seen sets at the end.</summary>
    public required double FinalAccuracy { get; init; }

    /// <summary>Ā: mean over tasks of the pooled held-out accuracy at each task end.</summary>
    public required double AverageIncrementalAccuracy { get; init; }

    /// <summary>Chaudhry forgetting: mean of (best − last) over earlier sets.</summary>
    public required double Forgetting { get; init; }

    /// <summary>GEM backward transfer.</summary>
    public required double BackwardTransfer { get; init; }

    /// <summary>Average min-ACC over sets whose task ended.</summary>
    public required double MinAccuracy { get; init; }

    /// <summary>WC-ACC at the final evaluation.</summary>
    public required double WorstCaseAccuracy { get; init; }

    /// <summary>Mean over sets of the windowed forgetting WF^w.</summary>
    public required double WindowedForgetting { get; init; }

    /// <summary>Window w of <see cref="WindowedForgetting"/> (evaluations).</summary>
    public required int Window { get; init; }

    /// <summary>Online accuracy over every unlabelled step (pre-update predictions).</summary>
    public required double OnlineAccuracy { get; init; }

    /// <summary>Online error per domain name (domains with unlabelled steps only).</summary>
    public required IReadOnlyDictionary<string, double> OnlineErrorByDomain { get; init; }

    /// <summary>Online error per task name (a condition in one round; tasks with unlabelled steps only).</summary>
    public IReadOnlyDictionary<string, double> OnlineErrorByTask { get; init; } = new Dictionary<string, double>(StringComparer.Ordinal);

    /// <summary>Shifts the learner detected (0 for a learner without a detector).</summary>
    public int ShiftDetections { get; init; }

    /// <summary>Final held-out accuracy per domain name (sample-weighted over that domain's sets).</summary>
    public required IReadOnlyDictionary<string, double> HeldOutAccuracyByDomain { get; init; }

    /// <summary>R[t][j]: accuracy of set j at the end of task t (NaN where not evaluated).</summary>
    public required double[][] AccuracyMatrix { get; init; }

    /// <summary>Continual evaluations: the step and the pooled and per-set accuracies.</summary>
    public required IReadOnlyList<CurvePoint> Curve { get; init; }

    /// <summary>True when the whole stream ran.</summary>
    public required bool Completed { get; init; }

    /// <summary>Computes the metrics of a run.</summary>
    /// <param name="run">The recorded run.</param>
    /// <param name="window">Window w of windowed forgetting, in evaluations (≥ 2).</param>
    public static MethodMetrics From(MethodRun run, int window)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 2);
        EvaluationStream stream = run.Stream;
        int sets = stream.Sets.Count;
        int[] sizes = stream.Sets.Select(s => s.Samples.Count).ToArray();
        int[] firstTask = stream.Sets.Select(s => s.Task).ToArray();
        int[] taskEnds = stream.TaskEndSteps();

        // Accuracy matrix: one row per task up to the last task that ended.
        int lastTask = -1;
        foreach (EvaluationPoint p in run.Points)
            if (p.IsTaskEnd)
                lastTask = Math.Max(lastTask, p.Task);
        var matrix = new double[lastTask + 1][];
        for (int t = 0; t <= lastTask; t++)
        {
            matrix[t] = new double[sets];
            Array.Fill(matrix[t], double.NaN);
        }
        var pooledPerTask = new List<double>();
        foreach (EvaluationPoint p in run.Points)
        {
            if (!p.IsTaskEnd)
                continue;
            for (int j = 0; j < sets; j++)
                matrix[p.Task][j] = p.Correct[j] < 0 ? double.NaN : (double)p.Correct[j] / sizes[j];
            pooledPerTask.Add(Pooled(p, sizes));
        }

        // Continual series per set, and the part after the set's task ended (for min-ACC).
        var series = new List<double>[sets];
        var after = new List<double>[sets];
        for (int j = 0; j < sets; j++)
        {
            series[j] = [];
            after[j] = [];
        }
        var curve = new List<CurvePoint>(run.Points.Count);
        foreach (EvaluationPoint p in run.Points)
        {
            var perSet = new double[sets];
            for (int j = 0; j < sets; j++)
            {
                perSet[j] = p.Correct[j] < 0 ? double.NaN : (double)p.Correct[j] / sizes[j];
                if (double.IsNaN(perSet[j]))
                    continue;
                series[j].Add(perSet[j]);
                int end = taskEnds[firstTask[j]];
                if (end >= 0 && p.Step > end)
                    after[j].Add(perSet[j]);
            }
            curve.Add(new CurvePoint(p.Step, p.Task, Pooled(p, sizes), perSet));
        }

        EvaluationPoint? final = run.Points.Count == 0 ? null : run.Points[^1];
        // The current set is the most recently introduced one; the others count with their min-ACC.
        double wc = double.NaN;
        if (final is not null)
        {
            int current = -1;
            for (int j = 0; j < sets; j++)
                if (final.Correct[j] >= 0 && (current < 0 || firstTask[j] >= firstTask[current]))
                    current = j;
            if (current >= 0)
            {
                var previous = new List<double>();
                for (int j = 0; j < sets; j++)
                    if (j != current && final.Correct[j] >= 0)
                        previous.Add(after[j].Count > 0 ? after[j].Min() : (double)final.Correct[j] / sizes[j]);
                wc = ContinualMetrics.WorstCaseAccuracy((double)final.Correct[current] / sizes[current], previous);
            }
        }

        var onlineError = new Dictionary<string, double>(StringComparer.Ordinal);
        long onlineCorrect = 0, onlineTotal = 0;
        for (int d = 0; d < stream.Domains.Count; d++)
        {
            if (run.OnlineTotalByDomain[d] == 0)
                continue;
            onlineError[stream.Domains[d]] = 1.0 - (double)run.OnlineCorrectByDomain[d] / run.OnlineTotalByDomain[d];
            onlineCorrect += run.OnlineCorrectByDomain[d];
            onlineTotal += run.OnlineTotalByDomain[d];
        }

        var onlineTask = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int t = 0; t < stream.Tasks.Count; t++)
            if (run.OnlineTotalByTask[t] > 0)
                onlineTask.TryAdd(stream.Tasks[t], 1.0 - (double)run.OnlineCorrectByTask[t] / run.OnlineTotalByTask[t]);

        var heldOut = new Dictionary<string, double>(StringComparer.Ordinal);
        if (final is not null)
        {
            for (int d = 0; d < stream.Domains.Count; d++)
            {
                long c = 0, n = 0;
                for (int j = 0; j < sets; j++)
                {
                    if (stream.Sets[j].Domain != d || final.Correct[j] < 0)
                        continue;
                    c += final.Correct[j];
                    n += sizes[j];
                }
                if (n > 0)
                    heldOut[stream.Domains[d]] = (double)c / n;
            }
        }

        return new MethodMetrics
        {
            Accuracy = ContinualMetrics.AverageAccuracy(matrix),
            FinalAccuracy = final is null ? double.NaN : Pooled(final, sizes),
            AverageIncrementalAccuracy = ContinualMetrics.AverageIncrementalAccuracy(pooledPerTask),
            Forgetting = ContinualMetrics.Forgetting(matrix, firstTask),
            BackwardTransfer = ContinualMetrics.BackwardTransfer(matrix, firstTask),
            MinAccuracy = ContinualMetrics.AverageMinAccuracy(after.Select(a => (IReadOnlyList<double>)a).ToList()),
            WorstCaseAccuracy = wc,
            WindowedForgetting = ContinualMetrics.Mean(series.Where(s => s.Count > 0).Select(s => ContinualMetrics.WindowedForgetting(s, window))),
            Window = window,
            OnlineAccuracy = onlineTotal == 0 ? double.NaN : (double)onlineCorrect / onlineTotal,
            OnlineErrorByDomain = onlineError,
            OnlineErrorByTask = onlineTask,
            ShiftDetections = run.ShiftDetectionSteps.Count,
            HeldOutAccuracyByDomain = heldOut,
            AccuracyMatrix = matrix,
            Curve = curve,
            Completed = run.Completed,
        };
    }

    private static double Pooled(EvaluationPoint p, int[] sizes)
    {
        long c = 0, n = 0;
        for (int j = 0; j < sizes.Length; j++)
        {
            if (p.Correct[j] < 0)
                continue;
            c += p.Correct[j];
            n += sizes[j];
        }
        return n == 0 ? double.NaN : (double)c / n;
    }
}

/// <summary>One continual evaluation on the accuracy-over-the-stream curve.</summary>
/// <param name="Step">Index of the last step applied.</param>
/// <param name="Task">Its task.</param>
/// <param name="PooledAccuracy">Sample-weighted accuracy over every seen set.</param>
/// <param name="SetAccuracy">Per set (NaN when not yet introduced).</param>
public sealed record CurvePoint(int Step, int Task, double PooledAccuracy, double[] SetAccuracy);
