using EdgeCL.Core.Memory;

namespace EdgeCL.Core.Learning.OpenSet;

/// <summary>Takes the open-set verdict on a prediction (see <see cref="OpenSetOptions"/>).</summary>
public static class OpenSetGate
{
    /// <summary>The prediction with its verdict: rejected when nothing was predicted, when the background class won, or
    /// when <paramref name="gateScore"/> is below the threshold. Closed set (<paramref name="options"/> null): unchanged.</summary>
    /// <param name="prediction">The learner's prediction.</param>
    /// <param name="gateScore">The prototype head's cosine to the winning class in the learner's space.</param>
    /// <param name="options">The open-set settings, or null for a closed-set learner.</param>
    public static Prediction Apply(in Prediction prediction, float gateScore, OpenSetOptions? options)
    {
        if (options is null)
            return prediction;
        bool rejected = !prediction.HasClass || ReservedLabels.IsBackground(prediction.Label) || !(gateScore >= options.Threshold);
        return prediction with { Rejected = rejected, GateScore = gateScore, Threshold = options.Threshold };
    }
}
