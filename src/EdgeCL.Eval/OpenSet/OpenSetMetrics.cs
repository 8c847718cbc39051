using EdgeCL.Eval.Shifts;

namespace EdgeCL.Eval.OpenSet;

/// <summary>Figures of one open-set run: accuracy and false rejects on taught classes, false accepts per clip and per
/// hour of continuous audio, AUROC, other operating points, and the effect of corrections.</summary>
internal static class OpenSetMetrics
{
    public static OpenSetMethodResult Summarise(string method, List<StreamEvent> stream, Outcome[] plain, Outcome[] corrected,
        int lastCorrection, OpenSetSettings settings, IReadOnlyList<ShiftSpec> conditions)
    {
        var all = Enumerable.Range(0, stream.Count).ToList();
        var byCondition = new Dictionary<string, OpenSetFigures>(StringComparer.Ordinal);
        for (int c = 0; c < conditions.Count; c++)
            byCondition[conditions[c].DomainName] = Figures(stream, plain, all.Where(i => stream[i].Condition == c).ToList());
        var points = new[] { settings.Threshold }.Concat(settings.OperatingPoints)
            .Select(t => At(stream, plain, all, t)).ToList();
        CorrectionFigures? after = null;
        if (settings.Corrections > 0 && lastCorrection >= 0)
        {
            var rest = Enumerable.Range(lastCorrection + 1, stream.Count - lastCorrection - 1).ToList();
            int made = corrected.Take(lastCorrection + 1).Select((o, i) => !stream[i].Known && o.Accepted).Count(x => x);
            after = new CorrectionFigures(Math.Min(made, settings.Corrections), lastCorrection + 1, Figures(stream, plain, rest), Figures(stream, corrected, rest));
        }
        return new OpenSetMethodResult
        {
            Method = method,
            Overall = Figures(stream, plain, all),
            ByCondition = byCondition,
            OperatingPoints = points,
            AfterCorrections = after,
        };
    }

    public static OpenSetFigures Figures(List<StreamEvent> stream, Outcome[] outcomes, List<int> indices)
    {
        var known = indices.Where(i => stream[i].Known).ToList();
        var clips = indices.Where(i => !stream[i].Known && !stream[i].Window).ToList();
        var windows = indices.Where(i => stream[i].Window).ToList();
        var unknown = indices.Where(i => !stream[i].Known).ToList();
        double hours = windows.Sum(i => stream[i].Seconds) / 3600.0;
        var groups = unknown.Select(i => stream[i].Group).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var faByGroup = new Dictionary<string, double>(StringComparer.Ordinal);
        var aucByGroup = new Dictionary<string, double>(StringComparer.Ordinal);
        float[] knownScores = known.Select(i => Score(outcomes[i])).ToArray();
        foreach (string g in groups)
        {
            var members = unknown.Where(i => stream[i].Group == g).ToList();
            if (members.All(i => !stream[i].Window))
                faByGroup[g] = members.Count(i => outcomes[i].Accepted) / (double)members.Count;
            if (knownScores.Length > 0)
                aucByGroup[g] = Auroc(knownScores, members.Select(i => Score(outcomes[i])).ToArray());
        }
        return new OpenSetFigures
        {
            Known = known.Count,
            Accuracy = Rate(known, i => outcomes[i].Correct),
            FalseRejectRate = Rate(known, i => !outcomes[i].Accepted),
            WrongAcceptRate = Rate(known, i => outcomes[i].Accepted && !outcomes[i].Correct),
            UnknownClips = clips.Count,
            FalseAcceptRate = clips.Count == 0 ? null : Rate(clips, i => outcomes[i].Accepted),
            FalseAcceptRateByGroup = faByGroup,
            ContinuousHours = hours,
            FalseAcceptsPerHour = hours > 0 ? Events(stream, windows, i => outcomes[i].Accepted) / hours : null,
            Auroc = knownScores.Length > 0 && unknown.Count > 0 ? Auroc(knownScores, unknown.Select(i => Score(outcomes[i])).ToArray()) : null,
            AurocByGroup = aucByGroup,
        };
    }

    // A threshold's figures from the recorded scores: accepted when the background class did not win and the score reaches it.
    private static OperatingPoint At(List<StreamEvent> stream, Outcome[] outcomes, List<int> all, float threshold)
    {
        bool Accept(int i) => !outcomes[i].Background && outcomes[i].Score >= threshold;
        var known = all.Where(i => stream[i].Known).ToList();
        var clips = all.Where(i => !stream[i].Known && !stream[i].Window).ToList();
        var windows = all.Where(i => stream[i].Window).ToList();
        double hours = windows.Sum(i => stream[i].Seconds) / 3600.0;
        return new OperatingPoint(threshold, Rate(known, i => !Accept(i)), clips.Count == 0 ? null : Rate(clips, Accept),
            hours > 0 ? Events(stream, windows, Accept) / hours : null);
    }

    // Accepted windows in a row of one file are one false activation (a detector fires once per stretch of sound); each
    // accepted utterance the device's VAD decided is one, as the agent answers each.
    private static int Events(List<StreamEvent> stream, List<int> windows, Func<int, bool> accepted)
    {
        int events = 0;
        for (int k = 0; k < windows.Count; k++)
        {
            int i = windows[k];
            bool continues = !stream[i].Utterance && k > 0 && windows[k - 1] == i - 1 && stream[i - 1].Path == stream[i].Path && accepted(i - 1);
            if (accepted(i) && !continues)
                events++;
        }
        return events;
    }

    private static float Score(Outcome o) => o.Background ? float.NegativeInfinity : float.IsNaN(o.Score) ? float.NegativeInfinity : o.Score;

    private static double Rate(List<int> indices, Func<int, bool> predicate) =>
        indices.Count == 0 ? 0 : indices.Count(predicate) / (double)indices.Count;

    /// <summary>Mann–Whitney AUROC: the chance that a taught sample scores above an untaught one (ties count half).</summary>
    public static double Auroc(float[] positives, float[] negatives)
    {
        if (positives.Length == 0 || negatives.Length == 0)
            return double.NaN;
        float[] neg = (float[])negatives.Clone();
        Array.Sort(neg);
        double sum = 0;
        foreach (float p in positives)
        {
            int below = LowerBound(neg, p), upTo = UpperBound(neg, p);
            sum += below + 0.5 * (upTo - below);
        }
        return sum / ((double)positives.Length * neg.Length);
    }

    private static int LowerBound(float[] sorted, float x)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi) { int mid = (lo + hi) >>> 1; if (sorted[mid] < x) lo = mid + 1; else hi = mid; }
        return lo;
    }

    private static int UpperBound(float[] sorted, float x)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi) { int mid = (lo + hi) >>> 1; if (sorted[mid] <= x) lo = mid + 1; else hi = mid; }
        return lo;
    }
}
