using System.Globalization;
using ScottPlot;

namespace EdgeCL.Eval.Reporting;

/// <summary>The report's figures, as PNG and SVG (ScottPlot 5): accuracy over the stream, per-domain accuracy,
/// latency breakdown. Every figure compares all methods on the same stream.</summary>
public static class Plots
{
    private const int Width = 900, Height = 480;

    /// <summary>Whether this build can draw figures (false in the device build, which carries no plotting library).</summary>
    public static bool Available => true;

    /// <summary>File names (without extension) of the figures <see cref="WriteAll"/> makes.</summary>
    public static IReadOnlyList<string> Names { get; } = ["accuracy", "domains", "latency"];

    /// <summary>Writes every figure into <paramref name="directory"/>; returns the base names written.</summary>
    public static IReadOnlyList<string> WriteAll(EvalReport report, string directory)
    {
        ArgumentNullException.ThrowIfNull(report);
        var written = new List<string>();
        if (Save(AccuracyOverStream(report), directory, "accuracy"))
            written.Add("accuracy");
        if (Save(DomainBars(report), directory, "domains"))
            written.Add("domains");
        if (Save(Latency(report), directory, "latency"))
            written.Add("latency");
        return written;
    }

    private static bool Save(Plot? plot, string directory, string name)
    {
        if (plot is null)
            return false;
        plot.SavePng(Path.Combine(directory, name + ".png"), Width, Height);
        plot.SaveSvg(Path.Combine(directory, name + ".svg"), Width, Height);
        return true;
    }

    private static Color ColorOf(int i) => new ScottPlot.Palettes.Category10().GetColor(i);

    /// <summary>Pooled held-out accuracy after every continual evaluation, one line per method, task boundaries dashed.</summary>
    private static Plot? AccuracyOverStream(EvalReport report)
    {
        var plot = new Plot();
        int i = 0;
        bool any = false;
        foreach (string name in report.MethodOrder)
        {
            CurveReport curve = report.Methods[name].Curve;
            var xs = new List<double>();
            var ys = new List<double>();
            for (int k = 0; k < curve.Steps.Count; k++)
            {
                if (curve.Pooled[k] is not double y)
                    continue;
                xs.Add(curve.Steps[k] + 1);
                ys.Add(100 * y);
            }
            Color color = ColorOf(i++);
            if (xs.Count == 0)
                continue;
            any = true;
            var line = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray(), color);
            line.LineWidth = 2;
            line.LegendText = name;
        }
        if (!any)
            return null;
        // Task boundaries (the same stream for every method), labelled when there are few.
        for (int t = 0; t + 1 < report.TaskEndSteps.Count; t++)
        {
            if (report.TaskEndSteps[t] < 0)
                continue;
            var boundary = plot.Add.VerticalLine(report.TaskEndSteps[t] + 1.5, 1, Colors.Gray, LinePattern.Dashed);
            if (report.Tasks.Count <= 12)
                boundary.Text = report.Tasks[t + 1];
        }
        plot.Axes.SetLimitsY(0, 100);
        plot.Title("Held-out accuracy over the stream (pooled over seen sets)");
        plot.XLabel("stream step");
        plot.YLabel("accuracy (%)");
        plot.ShowLegend(Alignment.LowerLeft);
        return plot;
    }

    /// <summary>Per domain: online accuracy (unlabelled steps) when there is any, else final held-out accuracy; bars grouped by domain.</summary>
    private static Plot? DomainBars(EvalReport report)
    {
        bool online = report.MethodOrder.Any(m => report.Methods[m].OnlineError.Count > 0);
        var domains = report.Domains.Where(d => report.MethodOrder.Any(m =>
            online ? report.Methods[m].OnlineError.GetValueOrDefault(d) is not null : report.Methods[m].DomainAccuracy.GetValueOrDefault(d) is not null)).ToList();
        if (domains.Count == 0 || report.MethodOrder.Count == 0)
            return null;
        var plot = new Plot();
        int methods = report.MethodOrder.Count;
        double groupWidth = 0.8, barWidth = groupWidth / methods;
        var bars = new List<Bar>();
        for (int m = 0; m < methods; m++)
        {
            MethodReport r = report.Methods[report.MethodOrder[m]];
            for (int d = 0; d < domains.Count; d++)
            {
                double? value = online ? 1 - r.OnlineError.GetValueOrDefault(domains[d]) : r.DomainAccuracy.GetValueOrDefault(domains[d]);
                if (value is not double v)
                    continue;
                bars.Add(new Bar
                {
                    Position = d - groupWidth / 2 + barWidth * (m + 0.5),
                    Value = 100 * v,
                    Size = barWidth * 0.95,
                    FillColor = ColorOf(m),
                    LineWidth = 0,
                });
            }
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = report.MethodOrder[m], FillColor = ColorOf(m) });
        }
        plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, domains.Count).Select(d => (double)d).ToArray(), domains.ToArray());
        plot.Axes.SetLimits(-0.6, domains.Count - 0.4, 0, 100);
        plot.Title(online ? "Online accuracy per domain (prediction before any update)" : "Final held-out accuracy per domain");
        plot.YLabel("accuracy (%)");
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    /// <summary>Median latency per stage, stacked per method (front end, backbone, learner, adaptation).</summary>
    private static Plot? Latency(EvalReport report)
    {
        string[] stages = ["front_end", "backbone", "learner_learn", "learner_predict", "adaptation"];
        if (report.MethodOrder.Count == 0)
            return null;
        var plot = new Plot();
        var bars = new List<Bar>();
        for (int m = 0; m < report.MethodOrder.Count; m++)
        {
            MethodReport r = report.Methods[report.MethodOrder[m]];
            double bottom = 0;
            for (int s = 0; s < stages.Length; s++)
            {
                if (!r.LatencyMs.TryGetValue(stages[s], out LatencyReport? l))
                    continue;
                bars.Add(new Bar { Position = m, ValueBase = bottom, Value = bottom + l.Median, FillColor = ColorOf(s), Size = 0.6, LineWidth = 0 });
                bottom += l.Median;
            }
        }
        for (int s = 0; s < stages.Length; s++)
            if (report.MethodOrder.Any(m => report.Methods[m].LatencyMs.ContainsKey(stages[s])))
                plot.Legend.ManualItems.Add(new LegendItem { LabelText = stages[s], FillColor = ColorOf(s) });
        var barPlot = plot.Add.Bars(bars);
        barPlot.Horizontal = true;
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, report.MethodOrder.Count).Select(m => (double)m).ToArray(), report.MethodOrder.ToArray());
        plot.Axes.Margins(left: 0, right: 0.25);
        plot.Title("Median latency per sample by stage (ms, stacked)");
        plot.XLabel(string.Create(CultureInfo.InvariantCulture, $"milliseconds"));
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }
}
