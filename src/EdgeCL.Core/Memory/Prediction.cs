namespace EdgeCL.Core.Memory;

/// <summary>The outcome of classifying one embedding against the prototypes.</summary>
/// <param name="ClassIndex">Index of the winning class in the memory (−1 when the memory is empty).</param>
/// <param name="Label">Label of the winning class (empty when the memory is empty).</param>
/// <param name="Score">Similarity of the winner (cosine, or negative squared distance).</param>
/// <param name="Margin">Winner's score minus the runner-up's (0 with a single class).</param>
/// <param name="Confidence">Winner's probability under softmax(score / temperature).</param>
/// <param name="Entropy">Entropy, in nats, of that softmax: 0 = certain, ln C = uniform.</param>
public readonly record struct Prediction(int ClassIndex, string Label, float Score, float Margin, float Confidence, float Entropy)
{
    /// <summary>True when a class was predicted (the memory had at least one class).</summary>
    public bool HasClass => ClassIndex >= 0;

    /// <summary>Open set: true when the sample was judged none of the taught classes ("unknown"): its score fell below
    /// <see cref="Threshold"/>, or the background class won. <see cref="Label"/> still names the nearest class.</summary>
    public bool Rejected { get; init; }

    /// <summary>Open set: the score the verdict was taken on (the prototype head's cosine in the learner's space), or
    /// NaN when no open-set verdict was taken (a closed-set learner).</summary>
    public float GateScore { get; init; } = float.NaN;

    /// <summary>Open set: the threshold <see cref="GateScore"/> was held against, or NaN (closed set).</summary>
    public float Threshold { get; init; } = float.NaN;

    /// <summary>True when a taught class was predicted and not rejected: the only predictions a device acts on.</summary>
    public bool Accepted => HasClass && !Rejected;
}
