using System.Globalization;

namespace EdgeCL.Core.Learning.OpenSet;

/// <summary>Open-set recognition: when a prediction counts as "unknown" (none of the taught classes).</summary>
/// <remarks>
/// <para>A sample is rejected when the winning class is the background class (<see cref="ReservedLabels.Background"/>,
/// taught like any class: from examples, from a device's "not this" long-press, from a <c>false_alarm</c> command)
/// or when the prototype head's cosine to the winning class (CL2N, in the learner's current space) is below
/// <see cref="Threshold"/>.</para>
/// <para>Why one global cosine threshold and no per-class thresholds: on the independent keyword set, per-class
/// thresholds calibrated from leave-one-out scores of the 8 labelled examples per word accepted more untaught words at
/// the same 5 % false rejects than the global one (other words 37.5 % against 28.7 %, near misses 82.5 % against
/// 79.4 %): eight examples give a noisy spread, and leave-one-out scores of the teacher's voices are 0.1-0.2 higher
/// than scores of new voices, so they do not predict false rejects either. The default is the 5 % false-reject point
/// of unseen voices on the dev set (8 shots), and teaching a background class is what lowers false accepts
/// (README, "Open-set recognition").</para>
/// </remarks>
public sealed record OpenSetOptions
{
    /// <summary>Default threshold on the CL2N cosine: the dev set's 5 % false-reject point for unseen voices (0.39 at 8 shots).</summary>
    public const float DefaultThreshold = 0.40f;

    /// <summary>Minimum cosine to the winning class for a sample to be accepted; in [−1, 1]. −1 accepts everything
    /// but the background class.</summary>
    public float Threshold { get; init; } = DefaultThreshold;

    /// <summary>The defaults.</summary>
    public static OpenSetOptions Default { get; } = new();

    /// <summary>Validates the settings.</summary>
    /// <exception cref="ArgumentException">The threshold is not a number in [−1, 1].</exception>
    public void Validate()
    {
        if (!(Threshold >= -1f && Threshold <= 1f))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Open-set threshold {Threshold} is out of range; it is a cosine in -1..1 (default {DefaultThreshold}; lower accepts more)."));
    }

    /// <summary>Parses a threshold given on a command line or in a config.</summary>
    /// <exception cref="ArgumentException">Not a number, or out of range.</exception>
    public static OpenSetOptions Parse(string text)
    {
        if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value))
            throw new ArgumentException($"Open-set threshold '{text}' is not a number; give a cosine in -1..1 such as {DefaultThreshold.ToString(CultureInfo.InvariantCulture)}.");
        var options = new OpenSetOptions { Threshold = value };
        options.Validate();
        return options;
    }
}
