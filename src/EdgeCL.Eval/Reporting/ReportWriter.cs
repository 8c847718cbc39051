using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EdgeCL.Eval.Reporting;

/// <summary>Writes <c>report.json</c>, the plots and the one-page <c>report.md</c> that embeds them.</summary>
public static class ReportWriter
{
    /// <summary>Writes every output into <paramref name="directory"/> (created if needed).</summary>
    /// <param name="report">The report.</param>
    /// <param name="directory">Output folder.</param>
    /// <param name="plots">Also draw PNG/SVG figures.</param>
    /// <returns>The paths written; a plotting failure (e.g. SkiaSharp's native library missing) is returned as a warning, never thrown.</returns>
    public static (IReadOnlyList<string> Files, string? PlotWarning) Write(EvalReport report, string directory, bool plots)
    {
        ArgumentNullException.ThrowIfNull(report);
        Directory.CreateDirectory(directory);
        var files = new List<string>();
        string json = Path.Combine(directory, "report.json");
        File.WriteAllText(json, JsonSerializer.Serialize(report, EvalJsonContext.Default.EvalReport) + "\n");
        files.Add(json);
        IReadOnlyList<string> figures = [];
        string? warning = null;
        if (plots)
        {
            try
            {
                figures = Plots.WriteAll(report, directory);
                files.AddRange(figures.SelectMany(f => new[] { Path.Combine(directory, f + ".png"), Path.Combine(directory, f + ".svg") }));
            }
            catch (NotSupportedException ex)
            {
                warning = ex.Message; // the device build has no plotting library
            }
            catch (Exception ex) when (ex is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException)
            {
                warning = $"plots skipped: SkiaSharp's native library could not be loaded ({ex.GetBaseException().Message}); keep libSkiaSharp.so beside edgecl.";
            }
        }
        string md = Path.Combine(directory, "report.md");
        File.WriteAllText(md, Markdown(report, figures));
        files.Add(md);
        return (files, warning);
    }

    /// <summary>The one-page Markdown report.</summary>
    public static string Markdown(EvalReport report, IReadOnlyList<string> figures)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(figures);
        var md = new StringBuilder();
        bool draws = report.Protocol.Draws > 1;
        md.AppendLine("# EdgeCL evaluation").AppendLine();
        if (!report.Completed)
            md.AppendLine("> **Interrupted**: this report holds what finished before the run was stopped.").AppendLine();
        md.AppendLine($"`{report.Command}`").AppendLine();
        md.AppendLine("| | |").AppendLine("|---|---|");
        ProtocolReport p = report.Protocol;
        string protocol = p.Name == "manifest" ? "manifest (order fixed by the file)"
            : F($"{p.Name}, {p.Shots} shot(s) per class, {p.Tasks} tasks, {(p.Name is "continual" or "episodic" ? $"{p.Rounds} round(s), " : "")}{(p.Correlation > 0 ? $"label-correlated order (Dirichlet γ = {p.Correlation:0.###}), " : "")}holdout {p.Holdout:0.##}{(p.Holdout == 0 ? " (evaluated on the streamed samples)" : "")}");
        md.AppendLine(F($"| protocol | {protocol} |"));
        md.AppendLine(F($"| seed | {report.Seed}{(draws ? $", {p.Draws} draws (scalars are means ± std over draws)" : "")} |"));
        md.AppendLine(F($"| data | `{report.Dataset.Source}` ({report.Dataset.Kind}, {report.Dataset.Items} items, {report.Dataset.Classes.Count} classes){(report.Dataset.Test is null ? "" : $"; test `{report.Dataset.Test}` ({report.Dataset.TestItems} items)")} |"));
        if (report.Backbone is { } b)
            md.AppendLine(F($"| backbone | {b.Name} ({b.Dimension}-d, space `{b.SpaceId}`) on {b.Provider} |"));
        md.AppendLine(F($"| domains | {string.Join(", ", report.Domains)} |"));
        md.AppendLine(F($"| stream | {report.Steps} steps in {report.Tasks.Count} tasks; held-out sets evaluated every {(p.EvaluateEvery == 0 ? "task end" : $"{p.EvaluateEvery} steps")} |"));
        md.AppendLine(F($"| run | {report.ElapsedSeconds:0.#} s, {report.Embeddings.Computed} embeddings computed, peak RSS {(report.PeakRssMb is double r ? $"{r:0} MB" : "n/a")} |"));
        md.AppendLine();

        md.AppendLine("## Results").AppendLine();
        md.AppendLine("Accuracies in %. ACC: mean of the final accuracy-matrix row; final: pooled held-out accuracy at the end; Ā: average incremental accuracy; forgetting: best − last; min-ACC / WC-ACC: worst-case held-out accuracy after each set's task (the stability gap); online: accuracy of the pre-update predictions on unlabelled steps.").AppendLine();
        md.AppendLine("| method | ACC | final | Ā | forgetting | BWT | min-ACC | WC-ACC | online |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (string name in report.MethodOrder)
        {
            MethodReport m = report.Methods[name];
            md.AppendLine($"| {name}{(m.Completed ? "" : " (partial)")} | {Pct(m.Accuracy, m.Std, "accuracy", draws)} | {Pct(m.FinalAccuracy, m.Std, "final_accuracy", draws)} | " +
                $"{Pct(m.AvgIncrementalAccuracy, m.Std, "avg_incremental_accuracy", draws)} | {Pct(m.Forgetting, m.Std, "forgetting", draws)} | " +
                $"{Pct(m.Bwt, m.Std, "bwt", draws)} | {Pct(m.MinAcc, m.Std, "min_acc", draws)} | {Pct(m.WcAcc, m.Std, "wc_acc", draws)} | {Pct(m.OnlineAccuracy, m.Std, "online_accuracy", draws)} |");
        }
        md.AppendLine();

        var domains = report.Domains.Where(d => report.MethodOrder.Any(n => report.Methods[n].OnlineError.ContainsKey(d) || report.Methods[n].DomainAccuracy.ContainsKey(d))).ToList();
        if (domains.Count > 0)
        {
            md.AppendLine("## Per domain").AppendLine();
            md.AppendLine("Online accuracy (100 − online error) on the unlabelled stream / final held-out accuracy, in %.").AppendLine();
            md.AppendLine("| domain | " + string.Join(" | ", report.MethodOrder) + " |");
            md.AppendLine("|---|" + string.Concat(report.MethodOrder.Select(_ => "---|")));
            foreach (string d in domains)
            {
                md.Append("| ").Append(d).Append(" |");
                foreach (string name in report.MethodOrder)
                {
                    MethodReport m = report.Methods[name];
                    double? online = m.OnlineError.GetValueOrDefault(d) is double e ? 1 - e : null;
                    string std = draws && m.Std.GetValueOrDefault("online_error." + d) is double s ? F($" ± {100 * s:0.0}") : "";
                    md.Append(' ').Append(online is null ? "–" : F($"{100 * online:0.0}{std}")).Append(" / ")
                        .Append(m.DomainAccuracy.GetValueOrDefault(d) is double h ? F($"{100 * h:0.0}") : "–").Append(" |");
                }
                md.AppendLine();
            }
            md.AppendLine();
        }

        RoundTables.Append(md, report, draws);

        foreach (string figure in figures)
            md.AppendLine($"![{figure}]({figure}.png)").AppendLine();

        md.AppendLine("## Latency").AppendLine();
        md.AppendLine("Per sample, milliseconds, median / p95. front_end: read, decode, shift; backbone: preprocessing and model(s); learner_learn / learner_predict: labelled update / held-out prediction; adaptation: an unlabelled step (predict, then adapt).").AppendLine();
        string[] stages = ["front_end", "backbone", "learner_learn", "learner_predict", "adaptation"];
        md.AppendLine("| stage | " + string.Join(" | ", report.MethodOrder) + " |");
        md.AppendLine("|---|" + string.Concat(report.MethodOrder.Select(_ => "---|")));
        foreach (string stage in stages)
        {
            if (!report.MethodOrder.Any(n => report.Methods[n].LatencyMs.ContainsKey(stage)))
                continue;
            md.Append("| ").Append(stage).Append(" |");
            foreach (string name in report.MethodOrder)
                md.Append(' ').Append(report.Methods[name].LatencyMs.TryGetValue(stage, out LatencyReport? l) ? F($"{Ms(l.Median)} / {Ms(l.P95)}") : "–").Append(" |");
            md.AppendLine();
        }
        md.AppendLine();

        if (report.Tasks.Count is > 1 and <= 16 && report.EvaluationSets.Count <= 16)
        {
            md.AppendLine("## Accuracy matrix").AppendLine();
            md.AppendLine("R[t][j] in %: held-out set j (columns) after task t (rows).").AppendLine();
            foreach (string name in report.MethodOrder)
            {
                MethodReport m = report.Methods[name];
                md.AppendLine($"**{name}**").AppendLine();
                md.AppendLine("| after task | " + string.Join(" | ", report.EvaluationSets.Select(s => s.Name)) + " |");
                md.AppendLine("|---|" + string.Concat(report.EvaluationSets.Select(_ => "---|")));
                for (int t = 0; t < m.AccuracyMatrix.Count; t++)
                    md.AppendLine($"| {report.Tasks[t]} | " + string.Join(" | ", m.AccuracyMatrix[t].Select(v => v is double x ? F($"{100 * x:0.0}") : "–")) + " |");
                md.AppendLine();
            }
        }
        md.AppendLine("Schema of report.json: `edgecl.eval/v1` (README, \"Evaluation\").");
        return md.ToString();
    }

    private static string Pct(double? value, IReadOnlyDictionary<string, double?> std, string key, bool draws)
    {
        if (value is not double v)
            return "–";
        string s = draws && std.GetValueOrDefault(key) is double d ? F($" ± {100 * d:0.0}") : "";
        return F($"{100 * v:0.0}{s}");
    }

    private static string Ms(double ms) => ms >= 10 ? F($"{ms:0.0}") : ms >= 0.1 ? F($"{ms:0.00}") : F($"{ms * 1000:0.0} µs").Replace(" µs", "µs", StringComparison.Ordinal);

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
