using System.Diagnostics;
using EdgeCL.Core.Evaluation;

namespace EdgeCL.Eval.Reporting;

/// <summary>Turns the runs of every method and draw into an <see cref="EvalReport"/> (means and deviations over draws).</summary>
internal static class ReportBuilder
{
    public static EvalReport Build(EvalPlan plan, Dictionary<string, List<(MethodRun Run, MethodMetrics Metrics)>> results, int evaluateEvery,
        bool completed, double elapsedSeconds)
    {
        EvalSettings settings = plan.Settings;
        EvaluationStream first = plan.Streams[0];
        // Set and task names by position when draws differ (class-incremental draws group different classes).
        bool sameNames = plan.Streams.All(s => s.Sets.Select(x => x.Name).SequenceEqual(first.Sets.Select(x => x.Name))
            && s.Tasks.SequenceEqual(first.Tasks));
        string[] setNames = first.Sets.Select((s, j) => sameNames ? s.Name : $"set {j + 1}").ToArray();
        setNames = Unique(setNames);
        string[] taskNames = first.Tasks.Select((t, i) => sameNames ? t : $"task {i + 1}").ToArray();

        var embeddingLatency = new Dictionary<string, LatencyReport>(StringComparer.Ordinal);
        AddLatency(embeddingLatency, PipelineStage.FrontEnd, plan.Embedder.FrontEnd);
        AddLatency(embeddingLatency, PipelineStage.Backbone, plan.Embedder.Backbone);

        var methods = new Dictionary<string, MethodReport>(StringComparer.Ordinal);
        foreach (MethodSpec spec in plan.Methods)
        {
            List<(MethodRun Run, MethodMetrics Metrics)> runs = results[spec.Name];
            if (runs.Count == 0)
                continue;
            var use = runs.Where(r => r.Run.Completed).ToList();
            if (use.Count == 0)
                use = runs;
            List<MethodMetrics> m = use.Select(r => r.Metrics).ToList();

            var latency = new Dictionary<string, LatencyReport>(embeddingLatency, StringComparer.Ordinal);
            foreach (string stage in new[] { PipelineStage.LearnerLearn, PipelineStage.LearnerPredict, PipelineStage.Adaptation })
            {
                var merged = new LatencyRecorder();
                foreach (var (run, _) in use)
                    if (run.Latency.TryGetValue(stage, out LatencyRecorder? r))
                        merged.AddAll(r);
                AddLatency(latency, stage, merged);
            }

            var std = new Dictionary<string, double?>(StringComparer.Ordinal)
            {
                ["accuracy"] = Std(m.Select(x => x.Accuracy)),
                ["final_accuracy"] = Std(m.Select(x => x.FinalAccuracy)),
                ["avg_incremental_accuracy"] = Std(m.Select(x => x.AverageIncrementalAccuracy)),
                ["forgetting"] = Std(m.Select(x => x.Forgetting)),
                ["bwt"] = Std(m.Select(x => x.BackwardTransfer)),
                ["min_acc"] = Std(m.Select(x => x.MinAccuracy)),
                ["wc_acc"] = Std(m.Select(x => x.WorstCaseAccuracy)),
                ["online_accuracy"] = Std(m.Select(x => x.OnlineAccuracy)),
            };
            foreach (string domain in plan.Domains)
                if (m.Any(x => x.OnlineErrorByDomain.ContainsKey(domain)))
                    std["online_error." + domain] = Std(m.Select(x => x.OnlineErrorByDomain.GetValueOrDefault(domain, double.NaN)));
            foreach (string task in first.Tasks)
                if (m.Any(x => x.OnlineErrorByTask.ContainsKey(task)))
                    std["online_error_by_task." + task] = Std(m.Select(x => x.OnlineErrorByTask.GetValueOrDefault(task, double.NaN)));

            methods[spec.Name] = new MethodReport
            {
                Description = Describe(plan, spec),
                Completed = runs.Count == plan.Streams.Count && runs.All(r => r.Run.Completed),
                DrawsCompleted = runs.Count(r => r.Run.Completed),
                Accuracy = Mean(m.Select(x => x.Accuracy)),
                FinalAccuracy = Mean(m.Select(x => x.FinalAccuracy)),
                AvgIncrementalAccuracy = Mean(m.Select(x => x.AverageIncrementalAccuracy)),
                Forgetting = Mean(m.Select(x => x.Forgetting)),
                Bwt = Mean(m.Select(x => x.BackwardTransfer)),
                MinAcc = Mean(m.Select(x => x.MinAccuracy)),
                WcAcc = Mean(m.Select(x => x.WorstCaseAccuracy)),
                WindowedForgetting = Mean(m.Select(x => x.WindowedForgetting)),
                OnlineAccuracy = Mean(m.Select(x => x.OnlineAccuracy)),
                OnlineError = PerDomain(plan.Domains, m.Select(x => x.OnlineErrorByDomain).ToList()),
                OnlineErrorByTask = PerDomain(first.Tasks, m.Select(x => x.OnlineErrorByTask).ToList()),
                ShiftDetections = Mean(m.Select(x => (double)x.ShiftDetections)),
                ShiftDetectionSteps = use[0].Run.ShiftDetectionSteps,
                DomainAccuracy = PerDomain(plan.Domains, m.Select(x => x.HeldOutAccuracyByDomain).ToList()),
                Std = std,
                AccuracyMatrix = MeanMatrix(m.Select(x => x.AccuracyMatrix).ToList()),
                Curve = MeanCurve(m, setNames),
                LatencyMs = latency,
                Draws = runs.Select((r, i) => new DrawReport(i, r.Run.Stream.Seed, r.Run.Completed, Null(r.Metrics.Accuracy), Null(r.Metrics.FinalAccuracy),
                    Null(r.Metrics.AverageIncrementalAccuracy), Null(r.Metrics.Forgetting), Null(r.Metrics.BackwardTransfer), Null(r.Metrics.MinAccuracy),
                    Null(r.Metrics.WorstCaseAccuracy), Null(r.Metrics.OnlineAccuracy),
                    r.Metrics.OnlineErrorByDomain.ToDictionary(kv => kv.Key, kv => Null(kv.Value), StringComparer.Ordinal))).ToList(),
            };
        }

        double? peak = null;
        try
        {
            using Process self = Process.GetCurrentProcess();
            peak = Math.Round(self.PeakWorkingSet64 / (1024.0 * 1024.0), 1);
        }
        catch (PlatformNotSupportedException)
        {
        }

        return new EvalReport
        {
            EdgeclVersion = settings.ToolVersion,
            Completed = completed,
            Seed = settings.Seed,
            Command = settings.CommandLine,
            Protocol = new ProtocolReport(first.Protocol, first.Protocol == "manifest" ? 0 : settings.Shots, first.Tasks.Count,
                first.Protocol is "continual" or "episodic" ? settings.Rounds : 1, first.Protocol == "manifest" ? 0 : settings.Holdout, plan.Streams.Count, evaluateEvery,
                settings.Window, plan.Shifts.Select(s => s.DomainName).ToList(), first.Correlation),
            Dataset = new DatasetReport(plan.Dataset.Root, plan.Test?.Root, plan.Dataset.Kind.ToString().ToLowerInvariant(), plan.Dataset.Classes,
                plan.Dataset.Items.Count, plan.Test?.Items.Count),
            Backbone = plan.Backbone is null ? null
                : new BackboneReport(plan.Backbone.Name, plan.Backbone.Space.Id, plan.Backbone.Space.Dimension, plan.Backbone.ActiveProvider.ToString()),
            Domains = plan.Domains,
            Tasks = taskNames,
            TaskEndSteps = first.TaskEndSteps(),
            Steps = first.Steps.Count,
            EvaluationSets = first.Sets.Select((s, j) => new SetReport(setNames[j], s.Task, first.Domains[s.Domain], s.Samples.Count)).ToList(),
            MethodOrder = plan.Methods.Select(m => m.Name).Where(methods.ContainsKey).ToList(),
            Methods = methods,
            Embeddings = new EmbeddingReport(plan.Cache.Computed, plan.Cache.Count, embeddingLatency),
            PeakRssMb = peak,
            ElapsedSeconds = Math.Round(elapsedSeconds, 2),
        };
    }

    private static string Describe(EvalPlan plan, MethodSpec spec)
    {
        string learner = plan.Learners.Get(spec.Learner).Description;
        if (spec.Adapter is null)
            return learner;
        plan.Adapters.TryGet(spec.Adapter, out var adapter);
        return $"{adapter.Description}; {learner}";
    }

    private static void AddLatency(Dictionary<string, LatencyReport> target, string stage, LatencyRecorder recorder)
    {
        LatencySummary? s = recorder.Summarize();
        if (s is not null)
            target[stage] = new LatencyReport(Math.Round(s.MedianMs, 5), Math.Round(s.P95Ms, 5), s.Count);
    }

    private static IReadOnlyDictionary<string, double?> PerDomain(IReadOnlyList<string> domains, List<IReadOnlyDictionary<string, double>> values)
    {
        var result = new Dictionary<string, double?>(StringComparer.Ordinal);
        foreach (string d in domains)
            if (values.Any(v => v.ContainsKey(d)))
                result[d] = Mean(values.Select(v => v.GetValueOrDefault(d, double.NaN)));
        return result;
    }

    private static IReadOnlyList<IReadOnlyList<double?>> MeanMatrix(List<double[][]> matrices)
    {
        int rows = matrices.Min(m => m.Length);
        var result = new List<IReadOnlyList<double?>>(rows);
        for (int t = 0; t < rows; t++)
        {
            int cols = matrices[0][t].Length;
            result.Add(Enumerable.Range(0, cols).Select(j => Mean(matrices.Select(m => m[t][j]))).ToList());
        }
        return result;
    }

    private static CurveReport MeanCurve(List<MethodMetrics> metrics, string[] setNames)
    {
        IReadOnlyList<CurvePoint> reference = metrics[0].Curve;
        // Average over draws only when every draw evaluated at the same steps (true for protocol draws).
        var aligned = metrics.Where(m => m.Curve.Count == reference.Count && m.Curve.Select(p => p.Step).SequenceEqual(reference.Select(p => p.Step))).ToList();
        var steps = reference.Select(p => p.Step).ToList();
        var pooled = Enumerable.Range(0, reference.Count).Select(i => Mean(aligned.Select(m => m.Curve[i].PooledAccuracy))).ToList();
        var sets = new Dictionary<string, IReadOnlyList<double?>>(StringComparer.Ordinal);
        for (int j = 0; j < setNames.Length; j++)
        {
            int jj = j;
            sets[setNames[j]] = Enumerable.Range(0, reference.Count).Select(i => Mean(aligned.Select(m => m.Curve[i].SetAccuracy[jj]))).ToList();
        }
        return new CurveReport(steps, pooled, sets);
    }

    private static string[] Unique(string[] names)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = new string[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            seen[names[i]] = seen.GetValueOrDefault(names[i]) + 1;
            result[i] = seen[names[i]] == 1 ? names[i] : $"{names[i]} ({seen[names[i]]})";
        }
        return result;
    }

    private static double? Mean(IEnumerable<double> values)
    {
        double m = ContinualMetrics.Mean(values);
        return Null(m);
    }

    private static double? Std(IEnumerable<double> values)
    {
        var v = values.Where(x => !double.IsNaN(x)).ToList();
        if (v.Count < 2)
            return null;
        double mean = v.Average();
        return Math.Round(Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / v.Count), 6);
    }

    private static double? Null(double v) => double.IsNaN(v) || double.IsInfinity(v) ? null : Math.Round(v, 6);
}
