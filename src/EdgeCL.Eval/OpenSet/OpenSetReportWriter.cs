using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EdgeCL.Eval.OpenSet;

/// <summary>Writes report.json and report.md of an open-set evaluation, and the summary the CLI prints.</summary>
public static class OpenSetReportWriter
{
    /// <summary>Writes both files into <paramref name="directory"/>; returns their paths.</summary>
    public static IReadOnlyList<string> Write(OpenSetReport report, string directory)
    {
        ArgumentNullException.ThrowIfNull(report);
        Directory.CreateDirectory(directory);
        string json = Path.Combine(directory, "report.json"), md = Path.Combine(directory, "report.md");
        File.WriteAllText(json, JsonSerializer.Serialize(report, OpenSetJsonContext.Default.OpenSetReport));
        File.WriteAllText(md, Markdown(report));
        return [json, md];
    }

    /// <summary>The one-page Markdown report (also what the CLI prints).</summary>
    public static string Markdown(OpenSetReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var s = new StringBuilder();
        s.Append(Inv($"# Open-set evaluation\n\n{r.Classes.Count} classes from {r.Shots} shots, backbone {r.Backbone} ({r.SpaceId}), threshold {r.Threshold:0.00}, "));
        s.Append(Inv($"{r.BackgroundExamples} background examples; one stream over {string.Join(" → ", r.Conditions)}"));
        s.Append(r.Correlation > 0 ? Inv($", taught words in label-correlated order (Dirichlet γ = {r.Correlation:0.###}) with the untaught material between them") : ", shuffled");
        s.Append(Inv($": {r.KnownSamples} taught-class samples, "));
        s.Append(Inv($"{r.UnknownSamples} untaught ({string.Join(", ", r.UnknownGroups)}; {r.ContinuousHours:0.00} h continuous per condition).\n\n"));
        s.Append(r.Talk == "device"
            ? Inv($"Continuous audio heard as the device hears it (VAD, isolated-word rule: {r.TalkRule}): {r.TalkUtterances} utterances, not embedded: {(r.TalkNotEmbedded.Count == 0 ? "none" : string.Join(", ", r.TalkNotEmbedded.Select(p => $"{p.Key} {p.Value}")))}.\n\n")
            : r.ContinuousHours > 0 ? "Continuous audio cut into clip-length windows every half clip, no VAD (--talk windows): what the classifier alone accepts.\n\n" : "");
        s.Append("| method | condition | accuracy | false rejects | wrong accepts | false accepts (clips) | per group | false accepts / h | AUROC |\n|---|---|---|---|---|---|---|---|---|\n");
        foreach (OpenSetMethodResult m in r.Methods)
        {
            Row(s, m.Method, "all", m.Overall);
            foreach (var (condition, f) in m.ByCondition)
                Row(s, "", condition, f);
        }
        s.Append("\nOperating points (from the recorded scores):\n\n| method | threshold | false rejects | false accepts (clips) | false accepts / h |\n|---|---|---|---|---|\n");
        foreach (OpenSetMethodResult m in r.Methods)
            foreach (OperatingPoint p in m.OperatingPoints)
                s.Append(Inv($"| {m.Method} | {p.Threshold:0.00} | {Pct(p.FalseRejectRate)} | {Pct(p.FalseAcceptRate)} | {Num(p.FalseAcceptsPerHour)} |\n"));
        if (r.Methods.Any(m => m.AfterCorrections is not null))
        {
            s.Append(Inv($"\nAfter {r.Corrections} false-alarm corrections (the first {r.Corrections} false accepts taught as _background:<label>), on the rest of the stream:\n\n"));
            s.Append("| method | from sample | false rejects without → with | false accepts (clips) without → with | false accepts / h without → with |\n|---|---|---|---|---|\n");
            foreach (OpenSetMethodResult m in r.Methods)
                if (m.AfterCorrections is { } c)
                    s.Append(Inv($"| {m.Method} | {c.FromSample} | {Pct(c.Without.FalseRejectRate)} → {Pct(c.With.FalseRejectRate)} | {Pct(c.Without.FalseAcceptRate)} → {Pct(c.With.FalseAcceptRate)} | {Num(c.Without.FalseAcceptsPerHour)} → {Num(c.With.FalseAcceptsPerHour)} |\n"));
        }
        return s.ToString();
    }

    private static void Row(StringBuilder s, string method, string condition, OpenSetFigures f)
    {
        string groups = string.Join(", ", f.FalseAcceptRateByGroup.Select(g => Inv($"{g.Key} {Pct(g.Value)}")));
        s.Append(Inv($"| {method} | {condition} | {Pct(f.Accuracy)} | {Pct(f.FalseRejectRate)} | {Pct(f.WrongAcceptRate)} | {Pct(f.FalseAcceptRate)} | {groups} | {Num(f.FalseAcceptsPerHour)} | {(f.Auroc is { } a ? a.ToString("0.000", CultureInfo.InvariantCulture) : "–")} |\n"));
    }

    private static string Pct(double? v) => v is { } x ? (100 * x).ToString("0.0", CultureInfo.InvariantCulture) + " %" : "–";

    private static string Num(double? v) => v is { } x ? x.ToString("0.0", CultureInfo.InvariantCulture) : "–";

    private static string Inv(FormattableString f) => f.ToString(CultureInfo.InvariantCulture);
}
