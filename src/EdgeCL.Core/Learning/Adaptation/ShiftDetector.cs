using System.Globalization;
namespace EdgeCL.Core.Learning.Adaptation;

/// <summary>
/// A two-sided Page-Hinkley / CUSUM change detector over one per-sample statistic (issue 11): it says when the
/// stream's statistics changed, so running test statistics can be dropped and warmed up again.
/// </summary>
/// <remarks>
/// <para>The statistic is standardised by its own running mean and spread, learned over <see cref="Baseline"/>
/// samples after every (re)start: z = (x − μ) / σ. Two cumulative sums, g⁺ = max(0, g⁺ + z − k) and
/// g⁻ = max(0, g⁻ − z − k), raise an alarm when either exceeds h (<see cref="Threshold"/>). After the baseline the
/// running mean and spread keep following the stream slowly (rate 1/(4·<see cref="Baseline"/>), steps clipped at
/// 3σ), so a slow drift does not accumulate into a false alarm but a step does.</para>
/// <para>With k = 0.5 and h = 8 a stationary Gaussian statistic raises a false alarm about once in 10⁴–10⁵ samples
/// (Siegmund's approximation); a step of 1.5 σ is found in about 8 samples. Nothing is allocated. Not thread-safe.</para>
/// </remarks>
public sealed class ShiftDetector
{
    private long _seen;
    private double _mean;
    private double _m2;
    private double _up;
    private double _down;

    /// <summary>Creates a detector.</summary>
    /// <param name="threshold">h: alarm when a cumulative sum exceeds this many standard deviations, in (0, 1000].</param>
    /// <param name="drift">k: the per-sample slack in standard deviations, in [0, 10].</param>
    /// <param name="baseline">Samples that learn the statistic's mean and spread before alarms are possible, in 2..100000.</param>
    /// <exception cref="ArgumentException">A setting is out of range (one line naming it and the range).</exception>
    public ShiftDetector(double threshold = 8, double drift = 0.5, int baseline = 30)
    {
        if (!(threshold > 0 && threshold <= 1000))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The detector threshold h must be in (0, 1000] standard deviations (got {threshold})."));
        if (!(drift >= 0 && drift <= 10))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The detector drift k must be in [0, 10] standard deviations (got {drift})."));
        if (baseline is < 2 or > 100_000)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The detector baseline must be 2..100000 samples (got {baseline})."));
        Threshold = threshold;
        Drift = drift;
        Baseline = baseline;
    }

    /// <summary>h, in standard deviations.</summary>
    public double Threshold { get; }

    /// <summary>k, in standard deviations.</summary>
    public double Drift { get; }

    /// <summary>Samples of baseline learning after each (re)start.</summary>
    public int Baseline { get; }

    /// <summary>Alarms since construction (not cleared by <see cref="Restart"/>).</summary>
    public int Alarms { get; private set; }

    /// <summary>True once the baseline is learned and alarms are possible.</summary>
    public bool IsArmed => _seen >= Baseline;

    /// <summary>The larger of the two cumulative sums (in standard deviations).</summary>
    public double Score => Math.Max(_up, _down);

    /// <summary>Folds one value of the statistic; returns true on an alarm (the detector then restarts itself).</summary>
    /// <remarks>A non-finite value is ignored.</remarks>
    public bool Update(double value) => Update(value, 1);

    /// <summary>Folds one value with the threshold scaled by <paramref name="thresholdScale"/> for this sample (values below 1 count as 1); returns true on an alarm.</summary>
    /// <remarks>The caller raises the threshold while a known nuisance (label-correlated order) moves the statistic.</remarks>
    public bool Update(double value, double thresholdScale)
    {
        if (!double.IsFinite(value))
            return false;
        if (_seen < Baseline)
        {
            // Welford: the exact mean and variance of the baseline.
            _seen++;
            double d = value - _mean;
            _mean += d / _seen;
            _m2 += d * (value - _mean);
            return false;
        }
        double variance = _m2 / (_seen - 1);
        // A floor keeps a constant baseline (σ = 0) from turning every later wobble into an alarm.
        double sigma = Math.Sqrt(Math.Max(variance, 1e-12 + 1e-6 * _mean * _mean));
        double z = (value - _mean) / sigma;
        _up = Math.Max(0, _up + z - Drift);
        _down = Math.Max(0, _down - z - Drift);
        double threshold = Threshold * (thresholdScale > 1 ? thresholdScale : 1);
        if (_up > threshold || _down > threshold)
        {
            Alarms++;
            Restart();
            return true;
        }
        // Follow a slow drift (an EMA over about four baselines, each step clipped at 3σ so a step change moves it
        // little before the sums fire). Every sample counts: updating only quiet samples would shrink σ.
        double rate = 1.0 / (4.0 * Baseline);
        double step = Math.Clamp(value - _mean, -3 * sigma, 3 * sigma);
        _mean += rate * step;
        _m2 = (_seen - 1) * ((1 - rate) * (variance + rate * step * step));
        return false;
    }

    /// <summary>Values <see cref="ExportState"/> writes.</summary>
    internal const int StateLength = 6;

    /// <summary>The state as numbers (a checkpoint): seen, mean, m2, g⁺, g⁻, alarms.</summary>
    internal void ExportState(List<double> into) => into.AddRange([_seen, _mean, _m2, _up, _down, Alarms]);

    /// <summary>Whether <paramref name="state"/> is a state <see cref="ExportState"/> could have written.</summary>
    internal static bool IsValidState(ReadOnlySpan<double> state) =>
        state.Length == StateLength && state[0] >= 0 && state[0] <= long.MaxValue / 2 && state[2] >= 0 && state[3] >= 0 && state[4] >= 0
        && state[5] >= 0 && state[5] <= int.MaxValue && double.IsFinite(state[1]) && double.IsFinite(state[2]);

    /// <summary>Restores a state checked by <see cref="IsValidState"/>.</summary>
    internal void ImportState(ReadOnlySpan<double> state)
    {
        _seen = (long)state[0];
        _mean = state[1];
        _m2 = state[2];
        _up = state[3];
        _down = state[4];
        Alarms = (int)state[5];
    }

    /// <summary>Forgets the baseline and the sums (the alarm count stays).</summary>
    public void Restart()
    {
        _seen = 0;
        _mean = 0;
        _m2 = 0;
        _up = 0;
        _down = 0;
    }
}
