using EdgeCL.Core.Evaluation;
using EdgeCL.Core.Vectors;
using EdgeCL.Eval.Data;
using EdgeCL.Eval.Shifts;

namespace EdgeCL.Eval.Embedding;

/// <summary>Rows of .npy embedding datasets: no front end, no backbone.</summary>
public sealed class NpySampleEmbedder : ISampleEmbedder
{
    private readonly Dictionary<string, (float[] Data, int Dimension)> _matrices;

    /// <summary>Creates the embedder over one or more loaded .npy datasets (same dimension).</summary>
    public NpySampleEmbedder(EmbeddingSpace space, IEnumerable<Dataset> datasets)
    {
        Space = space;
        _matrices = datasets.Where(d => d.Embeddings is not null)
            .ToDictionary(d => Path.GetFullPath(d.Root), d => (d.Embeddings!, d.Dimension), StringComparer.Ordinal);
    }

    /// <inheritdoc/>
    public EmbeddingSpace Space { get; }

    /// <inheritdoc/>
    public LatencyRecorder FrontEnd { get; } = new();

    /// <inheritdoc/>
    public LatencyRecorder Backbone { get; } = new();

    /// <inheritdoc/>
    public void Embed(DatasetItem item, int itemIndex, ShiftSpec shift, Span<float> destination)
    {
        (float[] data, int d) = _matrices[item.Path];
        data.AsSpan(item.Row * d, d).CopyTo(destination);
    }
}
