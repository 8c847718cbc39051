using EdgeCL.Core.Evaluation;
using EdgeCL.Core.Vectors;
using EdgeCL.Eval.Data;
using EdgeCL.Eval.Shifts;

namespace EdgeCL.Eval.Embedding;

/// <summary>Embeds one dataset item seen under one shift, exactly as the device pipeline would, and times the stages.</summary>
public interface ISampleEmbedder
{
    /// <summary>The space of the embeddings.</summary>
    EmbeddingSpace Space { get; }

    /// <summary>Reading, decoding and shifting (front end before the model).</summary>
    LatencyRecorder FrontEnd { get; }

    /// <summary>The backbone (preprocessing and model runs).</summary>
    LatencyRecorder Backbone { get; }

    /// <summary>Writes the embedding of <paramref name="item"/> (index <paramref name="itemIndex"/>) under <paramref name="shift"/>.</summary>
    void Embed(DatasetItem item, int itemIndex, ShiftSpec shift, Span<float> destination);
}

/// <summary>An embedder that can run several samples through the backbone at once (a GPU's offline path).</summary>
public interface IBatchSampleEmbedder : ISampleEmbedder
{
    /// <summary>Samples per backbone run.</summary>
    int Batch { get; }

    /// <summary>Writes the embeddings of up to <see cref="Batch"/> samples, row i for sample i, each exactly as <see cref="ISampleEmbedder.Embed"/> would.</summary>
    void EmbedBatch(IReadOnlyList<(DatasetItem Item, ShiftSpec Shift)> samples, Span<float> destination);
}
