using System.Globalization;

namespace EdgeCL.Core.Learning.Adaptation;

/// <summary>Settings of test-stream centring, read from <c>&lt;method&gt;.warmup|decay|clip|align|balance|balance-head|detect|detect-threshold|detect-drift|detect-baseline|detect-correlation|shrink|shrink-correlation</c>.</summary>
public sealed record TestCentringOptions
{
    /// <summary>Test samples before the running mean replaces the labelled mean. Default 10 (feasibility.md §4).</summary>
    public int WarmUp { get; init; } = 10;

    /// <summary>EMA rate once the exact mean's 1/n drops below it. Default 0.01 (≈ 100 samples of memory).</summary>
    public float Decay { get; init; } = 0.01f;

    /// <summary>Huber clip in running mean distances (0 = off). Default 3.</summary>
    public float Clip { get; init; } = 3f;

    /// <summary>Centre prototypes by the test mean too (one shared centre) instead of the labelled mean. Default false.</summary>
    public bool Align { get; init; }

    /// <summary>Class-balanced test statistics, the centre following x − α(m_ŷ − labelled mean): 0 = off (α = 0),
    /// 1 = always (α = 1), 2 = α from the stream's measured label autocorrelation (<see cref="LabelAutocorrelation"/>). Default 2.</summary>
    public int Balance { get; init; } = 2;

    /// <summary>Whose prediction ŷ names the class swapped out of a balanced sample: 0 = the static head's (default),
    /// 1 = the adapted head's (before issue 11's correlated-order work). The adapted head's pseudo-labels feed back:
    /// a run of class A read as B moves the centre by m_A − m_B, which makes the next A read as B again.</summary>
    public int BalanceHead { get; init; }

    /// <summary>c in the detector threshold h·(1 + c·ρ), ρ the measured label autocorrelation (0..1): in
    /// label-correlated order a change of class run moves the sample distances too, and a raised threshold keeps
    /// those from reading as shifts. 0 = a fixed threshold (before). Default 1.</summary>
    public double DetectCorrelation { get; init; } = 1;

    /// <summary>κ: queries are centred by m̄ + s·(c − m̄), s = max(0, 1 − κ·v/‖c − m̄‖²) with v the running mean's
    /// own noise (<see cref="FeatureCentring"/>): a condition that barely moves the embeddings is answered by the
    /// static head instead of a noisy centre. 0 = off (before). Default 2 (issue 11, correlated order).</summary>
    public double Shrink { get; init; } = 2;

    /// <summary>β: in label-correlated order the noise v counts (1 + β·ρ) times, ρ the measured label
    /// autocorrelation (a run's balanced samples are not independent). Default 3: 10 also halved set 1's babble loss but
    /// took the whole gain of the camera soak (dim + noisy +2.0 → +0.1; 3 keeps +0.9; issue 11).</summary>
    public double ShrinkCorrelation { get; init; } = 3;

    /// <summary>Drop and re-warm the running mean when a Page-Hinkley test on sample distances fires (issue 11). Default true.</summary>
    public bool Detect { get; init; } = true;

    /// <summary>Detector threshold h in standard deviations. Default 8.</summary>
    public double DetectThreshold { get; init; } = 8;

    /// <summary>Detector slack k in standard deviations per sample. Default 0.5.</summary>
    public double DetectDrift { get; init; } = 0.5;

    /// <summary>Samples the detector learns its baseline from after each (re)start. Default 30.</summary>
    public int DetectBaseline { get; init; } = 30;

    /// <summary>Reads the parameters of <paramref name="method"/>.</summary>
    /// <exception cref="ArgumentException">Malformed or out of range.</exception>
    public static TestCentringOptions From(LearnerOptions options, string method)
    {
        ArgumentNullException.ThrowIfNull(options);
        var d = new TestCentringOptions();
        return new TestCentringOptions
        {
            WarmUp = options.GetInt(method + ".warmup", d.WarmUp, 1, 1_000_000),
            Decay = (float)options.GetDouble(method + ".decay", d.Decay, 1e-6, 1),
            Clip = (float)options.GetDouble(method + ".clip", d.Clip, 0, 1000),
            Align = options.GetInt(method + ".align", d.Align ? 1 : 0, 0, 1) == 1,
            Balance = options.GetInt(method + ".balance", d.Balance, 0, 2),
            BalanceHead = options.GetInt(method + ".balance-head", d.BalanceHead, 0, 1),
            Detect = options.GetInt(method + ".detect", d.Detect ? 1 : 0, 0, 1) == 1,
            DetectThreshold = options.GetDouble(method + ".detect-threshold", d.DetectThreshold, 0.5, 1000),
            DetectDrift = options.GetDouble(method + ".detect-drift", d.DetectDrift, 0, 10),
            DetectBaseline = options.GetInt(method + ".detect-baseline", d.DetectBaseline, 2, 100_000),
            DetectCorrelation = options.GetDouble(method + ".detect-correlation", d.DetectCorrelation, 0, 100),
            Shrink = options.GetDouble(method + ".shrink", d.Shrink, 0, 1000),
            ShrinkCorrelation = options.GetDouble(method + ".shrink-correlation", d.ShrinkCorrelation, 0, 1000),
        };
    }

    /// <summary>A fresh running test mean with these settings.</summary>
    public TestStreamCentre CreateCentre(int dimension) =>
        new(dimension, WarmUp, Decay, Clip, Detect ? new ShiftDetector(DetectThreshold, DetectDrift, DetectBaseline) : null);

    /// <summary>Adds the parameter descriptions of <paramref name="method"/>.</summary>
    public static void Describe(string method, IDictionary<string, string> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var d = new TestCentringOptions();
        var c = CultureInfo.InvariantCulture;
        parameters[method + ".warmup"] = string.Create(c, $"test samples before the running test mean is used (default {d.WarmUp})");
        parameters[method + ".decay"] = string.Create(c, $"EMA rate of the running test mean, 1/decay ≈ its memory in samples (default {d.Decay})");
        parameters[method + ".clip"] = string.Create(c, $"Huber clip of an outlier's pull, in mean distances; 0 = off (default {d.Clip})");
        parameters[method + ".align"] = "1 = centre prototypes by the test mean too; 0 = by the labelled mean (default 0)";
        parameters[method + ".balance"] = string.Create(c, $"class-balanced running mean, x − α·(labelled mean of the predicted class − labelled mean), so runs of one class do not drag it: 0 = off, 1 = always, 2 = α from the measured label autocorrelation of the predictions (default {d.Balance})");
        parameters[method + ".balance-head"] = string.Create(c, $"whose prediction names the class a balanced sample swaps out: 0 = the static head's (no feedback from the adapted head's own mistakes), 1 = the adapted head's (default {d.BalanceHead})");
        parameters[method + ".shrink"] = string.Create(c, $"κ: the running test mean's offset from the labelled mean is shrunk by max(0, 1 − κ·its own noise/offset²), so a condition that barely moves the embeddings keeps the static head; 0 = off, 0-1000 (default {d.Shrink})");
        parameters[method + ".shrink-correlation"] = string.Create(c, $"β: that noise counts (1 + β·measured label autocorrelation) times in label-correlated order, 0-1000 (default {d.ShrinkCorrelation})");
        parameters[method + ".detect"] = string.Create(c, $"1 = drop and re-warm the running test mean when a Page-Hinkley test on sample distances detects a shift; 0 = never (default {(d.Detect ? 1 : 0)})");
        parameters[method + ".detect-threshold"] = string.Create(c, $"shift detector threshold h, standard deviations, 0.5-1000 (default {d.DetectThreshold})");
        parameters[method + ".detect-drift"] = string.Create(c, $"shift detector slack k per sample, standard deviations, 0-10 (default {d.DetectDrift})");
        parameters[method + ".detect-baseline"] = string.Create(c, $"samples the shift detector learns the distance statistics from after each start, 2-100000 (default {d.DetectBaseline})");
        parameters[method + ".detect-correlation"] = string.Create(c, $"c in the shift detector threshold h·(1 + c·measured label autocorrelation), so class runs do not read as shifts; 0 = fixed, 0-100 (default {d.DetectCorrelation})");
    }
}
