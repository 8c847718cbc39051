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
}
