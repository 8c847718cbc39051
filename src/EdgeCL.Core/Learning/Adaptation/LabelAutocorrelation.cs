namespace EdgeCL.Core.Learning.Adaptation;

/// <summary>
/// A blind estimate of how label-correlated the stream is, from the learner's own predictions: the excess of
/// "same class as the previous sample" over what the prediction histogram alone would give (issue 11).
/// </summary>
/// <remarks>
/// <para>a = moving average of [ŷ_t = ŷ_{t−1}] over about <see cref="Window"/> samples; e = Σ π_c², the agreement two
/// independent predictions would have, with π the prediction histogram over 2 windows (several runs of a
/// correlated stream, while a collapse of the head onto one class for a whole condition soon counts as marginal). <see cref="Strength"/> = clamp((a − e) / (1 − e) / 0.5, 0, 1): 0 for a
/// shuffled stream (or a collapsed head, where e is high too), 1 once half of the non-chance agreement is
/// temporal. No domain or true label is used. Allocation only when the class count grows. Not thread-safe.</para>
/// </remarks>
public sealed class LabelAutocorrelation
{
    // The histogram's horizon in agreement windows: long enough to span several runs of a label-correlated stream,
    // short enough that a condition in which the head predicts one class for hundreds of samples (a collapse, e.g.
    // blurred digits) soon counts as the marginal rather than as correlation.
    private const double HistogramWindows = 2;

    private double[] _histogram = new double[16];
    private long _seen;
    private int _previous = -1;
    private double _agree;

    /// <summary>Creates an estimator.</summary>
    /// <param name="window">Samples in the agreement average, 2..100000.</param>
    /// <param name="prior">The strength reported before a window has been seen, 0..1.</param>
    /// <exception cref="ArgumentException">A setting out of range.</exception>
    public LabelAutocorrelation(int window = 30, double prior = 1)
    {
        if (window is < 2 or > 100_000)
            throw new ArgumentException($"The autocorrelation window must be 2..100000 samples (got {window}).");
        if (!(prior >= 0 && prior <= 1))
            throw new ArgumentException($"The autocorrelation prior must be in 0..1 (got {prior}).");
        Window = window;
        Prior = prior;
        Strength = prior;
    }

    /// <summary>The strength reported until a window has been seen.</summary>
    public double Prior { get; }

    /// <summary>Samples in the agreement average.</summary>
    public int Window { get; }

    /// <summary>0 (shuffled order) … 1 (strongly label-correlated order); <see cref="Prior"/> until <see cref="Window"/> predictions were seen.</summary>
    public double Strength { get; private set; }

    /// <summary>Records the class predicted for the next sample (−1 = none).</summary>
    public void Record(int predicted, int classCount)
    {
        if (predicted < 0 || classCount < 2)
            return;
        if (_histogram.Length < classCount)
            Array.Resize(ref _histogram, Math.Max(classCount, _histogram.Length * 2));
        _seen++;
        double slow = Math.Max(1.0 / _seen, 1.0 / (HistogramWindows * Window));
        double expected = 0;
        for (int c = 0; c < classCount; c++)
        {
            _histogram[c] += slow * ((c == predicted ? 1.0 : 0.0) - _histogram[c]);
            expected += _histogram[c] * _histogram[c];
        }
        if (_previous >= 0)
        {
            double fast = Math.Max(1.0 / (_seen - 1), 1.0 / Window);
            _agree += fast * ((predicted == _previous ? 1.0 : 0.0) - _agree);
        }
        _previous = predicted;
        // Before a window has been seen the estimate is too noisy to act on: report the prior (1 for a running mean
        // warming up on the first few samples, which may all be of one class; 0 for LAME, which hurts when wrong).
        Strength = _seen < Window ? Prior : expected >= 1 ? 0 : Math.Clamp((_agree - expected) / (1 - expected) / 0.5, 0, 1);
    }

    /// <summary>The state as numbers (a checkpoint): seen, previous, agreement, strength, classes, histogram.</summary>
    internal void ExportState(List<double> into, int classCount)
    {
        into.AddRange([_seen, _previous, _agree, Strength, classCount]);
        for (int c = 0; c < classCount; c++)
            into.Add(c < _histogram.Length ? _histogram[c] : 0);
    }

    /// <summary>Whether <paramref name="state"/> is a state <see cref="ExportState"/> could have written.</summary>
    internal static bool IsValidState(ReadOnlySpan<double> state)
    {
        if (state.Length < 5 || state[4] < 0 || state[4] != state.Length - 5 || state[0] < 0 || state[0] > long.MaxValue / 2 || state[1] < -1
            || state[1] >= Math.Max(state[4], 1) || !(state[2] >= 0 && state[2] <= 1) || !(state[3] >= 0 && state[3] <= 1))
            return false;
        foreach (double h in state[5..])
            if (!(h >= 0 && h <= 1))
                return false;
        return true;
    }

    /// <summary>Restores a state checked by <see cref="IsValidState"/>.</summary>
    internal void ImportState(ReadOnlySpan<double> state)
    {
        Reset();
        int classes = (int)state[4];
        if (_histogram.Length < classes)
            _histogram = new double[Math.Max(classes, 16)];
        _seen = (long)state[0];
        _previous = (int)state[1];
        _agree = state[2];
        Strength = state[3];
        state[5..].CopyTo(_histogram);
    }

    /// <summary>Forgets everything.</summary>
    public void Reset()
    {
        Array.Clear(_histogram);
        _seen = 0;
        _previous = -1;
        _agree = 0;
        Strength = Prior;
    }
}
