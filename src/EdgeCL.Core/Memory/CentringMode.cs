namespace EdgeCL.Core.Memory;

/// <summary>Which vector is subtracted from queries and prototypes before comparison.</summary>
/// <remarks>
/// Raw openWakeWord embeddings share one dominant direction (mean pairwise cosine 0.94, feasibility.md §4):
/// without centring, cosine scores of all classes are nearly equal and softmax confidences mean nothing.
/// Centring by the labelled mean (CL2N) is therefore the default.
/// </remarks>
public enum CentringMode
{
    /// <summary>No centring.</summary>
    None,

    /// <summary>The count-weighted mean of every labelled example (Σ n_c μ_c / Σ n_c), kept exact as classes change.</summary>
    LabelledMean,

    /// <summary>A vector supplied by the caller (e.g. a running test-stream mean, or a fleet-wide mean).</summary>
    Supplied,
}
