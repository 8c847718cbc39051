namespace EdgeCL.Core.Memory;

/// <summary>How a query is compared with a class prototype.</summary>
public enum SimilarityMetric
{
    /// <summary>Cosine similarity of (optionally centred) vectors; scores in [−1, 1].</summary>
    Cosine,

    /// <summary>Negative squared Euclidean distance of (optionally centred) vectors; scores ≤ 0.</summary>
    SquaredEuclidean,
}
