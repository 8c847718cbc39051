using System.Globalization;
using System.Text;

namespace EdgeCL.Eval.Reporting;

/// <summary>The per-condition-and-round table of report.md (issue 11): online accuracy of every task of the stream,
/// each method's difference from the first method (the baseline), and the shifts each learner detected.</summary>
internal static class RoundTables
{
    public static void Append(StringBuilder md, EvalReport report, bool draws)
    {
        var tasks = report.Tasks.Where(t => report.MethodOrder.Any(n => report.Methods[n].OnlineErrorByTask.ContainsKey(t))).ToList();
        if (tasks.Count < 2 || report.MethodOrder.Count == 0)
            return;
        string baseline = report.MethodOrder[0];
        md.AppendLine("## Per condition and round").AppendLine();
        md.AppendLine(F($"Online accuracy in % on each task of the stream (a condition in one round), in parentheses the difference from `{baseline}`; the worst row of each method is the \"never worse than static\" check.")).AppendLine();
        md.AppendLine("| task | " + string.Join(" | ", report.MethodOrder) + " |");
        md.AppendLine("|---|" + string.Concat(report.MethodOrder.Select(_ => "---|")));
        var worst = report.MethodOrder.ToDictionary(n => n, _ => double.PositiveInfinity, StringComparer.Ordinal);
        foreach (string t in tasks)
        {
            md.Append("| ").Append(t).Append(" |");
            double? reference = Accuracy(report.Methods[baseline], t);
            foreach (string name in report.MethodOrder)
            {
                MethodReport m = report.Methods[name];
                double? a = Accuracy(m, t);
                string std = draws && m.Std.GetValueOrDefault("online_error_by_task." + t) is double s ? F($" ± {100 * s:0.0}") : "";
                string delta = name != baseline && a is double x && reference is double r ? F($" ({100 * (x - r):+0.0;-0.0;0.0})") : "";
                if (a is double v && reference is double rr)
                    worst[name] = Math.Min(worst[name], v - rr);
                md.Append(' ').Append(a is double y ? F($"{100 * y:0.0}{std}{delta}") : "–").Append(" |");
            }
            md.AppendLine();
        }
        md.Append("| worst Δ |");
        foreach (string name in report.MethodOrder)
            md.Append(' ').Append(name == baseline || double.IsInfinity(worst[name]) ? "–" : F($"{100 * worst[name]:+0.0;-0.0;0.0}")).Append(" |");
        md.AppendLine();
        md.Append("| shifts detected |");
        foreach (string name in report.MethodOrder)
            md.Append(' ').Append(report.Methods[name].ShiftDetections is double d ? F($"{d:0.#}") : "–").Append(" |");
        md.AppendLine().AppendLine();
    }

    private static double? Accuracy(MethodReport m, string task) => m.OnlineErrorByTask.GetValueOrDefault(task) is double e ? 1 - e : null;

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
