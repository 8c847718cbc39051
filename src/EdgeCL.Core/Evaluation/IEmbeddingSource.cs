using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Evaluation;

/// <summary>Turns a stream sample into an embedding for one evaluated method: the backbone side of the pipeline.</summary>
/// <remarks>
/// <para>A static backbone gives the same embedding for a sample whatever the history, so one cached source is
/// shared by every method. A backbone-level adapter (BN-statistics adaptation) is a per-method source whose
/// embeddings depend on what it has observed: it updates on <see cref="EmbeddingPurpose.Observe"/>, never on
/// <see cref="EmbeddingPurpose.Evaluate"/>, and drops its adaptation on <see cref="Reset"/>. It is never told the
/// sample's domain (design.md §4).</para>
/// </remarks>
public interface IEmbeddingSource
{
    /// <summary>The space of the embeddings it writes.</summary>
    EmbeddingSpace Space { get; }

    /// <summary>True when a sample's embedding never depends on history (cacheable, shareable between methods).</summary>
    bool IsStatic { get; }

    /// <summary>Writes the embedding of <paramref name="sample"/> (an index into the stream's samples).</summary>
    void Embed(int sample, EmbeddingPurpose purpose, Span<float> destination);

    /// <summary>Drops adaptation state (no-op for a static source).</summary>
    void Reset();
}
