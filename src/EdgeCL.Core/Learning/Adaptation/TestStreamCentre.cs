using System.Numerics.Tensors;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Learning.Adaptation;

/// <summary>A robust running estimate of the test stream's mean embedding (feature-statistics test-time adaptation).</summary>
/// <remarks>
/// <para>feasibility.md §4–5: centring queries by the running test mean instead of the labelled mean recovers about
/// 60 % of the oracle gap at 5 shots, for one vector of state. The estimate is the exact mean of the first samples
/// while the weight 1/n is larger than <see cref="Decay"/>, then an exponential moving average with rate
/// <see cref="Decay"/> (about 1/Decay samples of memory), so it follows a room or microphone that changes.</para>
/// <para>Robustness (a Huber step): after warm-up a sample whose distance to the current mean exceeds
/// <see cref="ClipFactor"/> × the running mean distance moves the mean only as far as a sample at that distance
/// would, so a burst of outliers (a door slam, a glitch) cannot drag the centre away.</para>
/// <para>Shift detection (issue 11): with a <see cref="ShiftDetector"/>, the distance of every sample to the warm
/// estimate (before it is folded in) feeds a two-sided Page-Hinkley test; on an alarm the estimate is dropped and
/// warmed up again from that sample on (exact mean first), so a running mean from the previous room or microphone is
/// not carried into the next. <see cref="Detections"/> counts the alarms.</para>
/// <para>The estimate's own noise (<see cref="EstimateVariance"/>): the running mean squared distance times Σw², the sum
/// of the squared weights the samples now in the estimate carry (1/n for the exact mean, r/(2 − r) for an EMA at rate
/// r), i.e. E‖estimate − true mean‖² for independent samples. <see cref="FeatureCentring"/> shrinks the centre's
/// offset by it.</para>
/// <para>Nothing is allocated after construction. Not thread-safe.</para>
/// </remarks>
public sealed class TestStreamCentre
{
    private readonly float[] _mean;
    private readonly float[] _delta;
    private double _meanDistance;
    private double _meanSquaredDistance;
    private double _weightSquares;

    /// <summary>Creates an empty estimate.</summary>
    /// <param name="dimension">Embedding length.</param>
    /// <param name="warmUp">Samples before the estimate is used (≥ 1).</param>
    /// <param name="decay">EMA rate after the exact-mean phase, in (0, 1]; 1/decay is the memory in samples.</param>
    /// <param name="clipFactor">Huber clip as a multiple of the running mean distance; 0 disables clipping.</param>
    /// <param name="detector">Resets the estimate when the stream's distances change (null: never).</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public TestStreamCentre(int dimension, int warmUp = 10, float decay = 0.01f, float clipFactor = 3f, ShiftDetector? detector = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimension, EmbeddingSpace.MaxDimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(warmUp);
        if (!(decay > 0f && decay <= 1f))
            throw new ArgumentOutOfRangeException(nameof(decay), decay, "The decay must be in (0, 1].");
        if (!(clipFactor >= 0f) || !float.IsFinite(clipFactor))
            throw new ArgumentOutOfRangeException(nameof(clipFactor), clipFactor, "The clip factor must be a finite number >= 0 (0 = off).");
        _mean = new float[dimension];
        _delta = new float[dimension];
        WarmUp = warmUp;
        Decay = decay;
        ClipFactor = clipFactor;
        Detector = detector;
    }

    /// <summary>The shift detector, or null.</summary>
    public ShiftDetector? Detector { get; }

    /// <summary>Shifts detected (each dropped the estimate) since construction.</summary>
    public int Detections => Detector?.Alarms ?? 0;

    /// <summary>Samples before the estimate is used.</summary>
    public int WarmUp { get; }

    /// <summary>EMA rate after the exact-mean phase.</summary>
    public float Decay { get; }

    /// <summary>Huber clip factor (0 = off).</summary>
    public float ClipFactor { get; }

    /// <summary>Samples folded in since the last reset.</summary>
    public long Count { get; private set; }

    /// <summary>True once <see cref="WarmUp"/> samples have been seen.</summary>
    public bool IsWarm => Count >= WarmUp;

    /// <summary>The current estimate (zeros before the first sample).</summary>
    public ReadOnlySpan<float> Mean => _mean;

    /// <summary>Folds one validated embedding into the estimate.</summary>
    /// <exception cref="Errors.EmbeddingException">Wrong length or a NaN/Inf value (the estimate is unchanged).</exception>
    public void Update(ReadOnlySpan<float> embedding) => Update(embedding, 1);

    /// <summary>Folds one validated embedding into the estimate, the detector's threshold scaled by <paramref name="thresholdScale"/> (≥ 1) for this sample.</summary>
    /// <exception cref="Errors.EmbeddingException">Wrong length or a NaN/Inf value (the estimate is unchanged).</exception>
    public void Update(ReadOnlySpan<float> embedding, double thresholdScale)
    {
        VectorKernels.EnsureValidEmbedding(embedding, _mean.Length);
        long n = Count + 1;
        Span<float> delta = _delta;
        TensorPrimitives.Subtract(embedding, _mean, delta);
        float distance = TensorPrimitives.Norm(delta);
        if (Detector is not null && Count >= WarmUp && Detector.Update(distance, thresholdScale))
        {
            // A new regime: forget the old estimate and start its exact mean with this sample.
            Forget();
            n = 1;
            TensorPrimitives.Subtract(embedding, _mean, delta);
            distance = TensorPrimitives.Norm(delta);
        }
        double rate = Math.Max(1.0 / n, Decay);
        double weight = rate;
        if (ClipFactor > 0f && Count >= WarmUp && _meanDistance > 0 && distance > ClipFactor * _meanDistance)
            weight *= ClipFactor * _meanDistance / distance;
        TensorPrimitives.MultiplyAdd(delta, (float)weight, _mean, _mean);
        double clipped = Math.Min(distance, ClipFactor > 0f && _meanDistance > 0 && Count >= WarmUp ? ClipFactor * _meanDistance : distance);
        _meanDistance += rate * (clipped - _meanDistance);
        if (n > 1)
            _meanSquaredDistance += rate * (clipped * clipped - _meanSquaredDistance);
        _weightSquares = (1 - weight) * (1 - weight) * _weightSquares + weight * weight;
        Count = n;
    }

    /// <summary>The running mean distance of samples to the estimate (the Huber clip's scale).</summary>
    public double MeanDistance => _meanDistance;

    /// <summary>E‖estimate − true mean‖² were the samples independent: the running mean squared distance × Σw² (0 before two samples).</summary>
    public double EstimateVariance => _meanSquaredDistance * _weightSquares;

    /// <summary>Replaces the estimate with a saved one (a checkpoint); the values are checked by the caller.</summary>
    /// <exception cref="ArgumentException">Wrong length, a negative count or a non-finite value.</exception>
    public void Restore(ReadOnlySpan<float> mean, long count, double meanDistance)
    {
        if (mean.Length != _mean.Length || count < 0 || !double.IsFinite(meanDistance) || meanDistance < 0 || !VectorKernels.AllFinite(mean))
            throw new ArgumentException($"A test centre of {_mean.Length} finite values, a count >= 0 and a finite distance >= 0 is required.");
        mean.CopyTo(_mean);
        Count = count;
        _meanDistance = meanDistance;
        // A checkpoint holds the mean distance, not these: take the steady state of the same weights.
        _meanSquaredDistance = meanDistance * meanDistance;
        _weightSquares = count == 0 ? 0 : Math.Max(1.0 / count, Decay / (2 - Decay));
        Detector?.Restart();
    }

    /// <summary>Appends the estimate's noise statistics (mean squared distance, Σw²) for a checkpoint.</summary>
    internal void ExportNoise(List<double> into) => into.AddRange([_meanSquaredDistance, _weightSquares]);

    /// <summary>Whether <paramref name="state"/> holds noise statistics <see cref="ExportNoise"/> could have written.</summary>
    internal static bool IsValidNoise(ReadOnlySpan<double> state) =>
        state.Length == 2 && state[0] >= 0 && double.IsFinite(state[0]) && state[1] >= 0 && state[1] <= 1;

    /// <summary>Restores noise statistics checked by <see cref="IsValidNoise"/> (after <see cref="Restore"/>).</summary>
    internal void ImportNoise(ReadOnlySpan<double> state)
    {
        _meanSquaredDistance = state[0];
        _weightSquares = state[1];
    }

    /// <summary>Forgets every sample.</summary>
    public void Reset()
    {
        Forget();
        Detector?.Restart();
    }

    // The estimate and its statistics back to no samples (the detector is the caller's business).
    private void Forget()
    {
        Array.Clear(_mean);
        _meanDistance = 0;
        _meanSquaredDistance = 0;
        _weightSquares = 0;
        Count = 0;
    }
}
