namespace EdgeCL.Core.Learning.Adaptation;

/// <summary>Watches the health signals of an adapting learner and says when its adaptation must be dropped.</summary>
/// <remarks>
/// <para>Three moving averages over about <see cref="GuardOptions.Window"/> samples: mean normalised entropy H/ln C,
/// the histogram of predicted classes (prediction collapse, the "noise-cluster attraction" of feasibility.md §4),
/// and the share of predictions that disagree with a reference head (the static prototype head, or the same head in
/// the adapted space). The guard may trip only after a full window since the last reset, so the estimates are
/// settled. Allocation happens only when the class count grows. Not thread-safe.</para>
/// </remarks>
public sealed class HealthMonitor
{
    private double[] _histogram = new double[16];
    private long _sinceReset;

    /// <summary>Creates a monitor.</summary>
    public HealthMonitor(GuardOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
    }

    /// <summary>The bounds.</summary>
    public GuardOptions Options { get; }

    /// <summary>Moving average of H / ln C.</summary>
    public double MeanEntropy { get; private set; }

    /// <summary>Moving average of disagreement with the reference head.</summary>
    public double Disagreement { get; private set; }

    /// <summary>The largest class share of the prediction histogram.</summary>
    public double MaxClassShare { get; private set; }

    /// <summary>Times the guard tripped since construction.</summary>
    public int Trips { get; private set; }

    /// <summary>The signal that tripped last (empty when never).</summary>
    public string LastReason { get; private set; } = string.Empty;

    /// <summary>Records one prediction; returns true when a bound is crossed (the caller then resets its adaptation).</summary>
    /// <param name="predicted">Predicted class index.</param>
    /// <param name="classCount">Classes known.</param>
    /// <param name="entropy">Entropy of the prediction in nats.</param>
    /// <param name="disagrees">Whether the reference head predicted another class.</param>
    public bool Record(int predicted, int classCount, float entropy, bool disagrees)
    {
        if (classCount < 2 || predicted < 0)
            return false;
        if (_histogram.Length < classCount)
            Array.Resize(ref _histogram, Math.Max(classCount, _histogram.Length * 2));
        _sinceReset++;
        double rate = Math.Max(1.0 / _sinceReset, 1.0 / Options.Window);
        MeanEntropy += rate * (entropy / Math.Log(classCount) - MeanEntropy);
        Disagreement += rate * ((disagrees ? 1.0 : 0.0) - Disagreement);
        double max = 0;
        for (int c = 0; c < classCount; c++)
        {
            _histogram[c] += rate * ((c == predicted ? 1.0 : 0.0) - _histogram[c]);
            max = Math.Max(max, _histogram[c]);
        }
        MaxClassShare = max;
        if (_sinceReset < Options.Window)
            return false;
        string reason = MaxClassShare > Math.Min(0.95, Options.CollapseFactor / classCount) ? "collapse"
            : Disagreement > Options.MaxDisagreement ? "disagreement"
            : MeanEntropy > Options.MaxEntropy ? "entropy"
            : string.Empty;
        if (reason.Length == 0)
            return false;
        LastReason = reason;
        Trips++;
        Reset();
        return true;
    }

    /// <summary>Clears the moving averages (not the trip count).</summary>
    public void Reset()
    {
        Array.Clear(_histogram);
        _sinceReset = 0;
        MeanEntropy = 0;
        Disagreement = 0;
        MaxClassShare = 0;
    }
}
