using EdgeCL.Core.Evaluation;
using EdgeCL.Core.Vectors;
using EdgeCL.Eval.Data;
using EdgeCL.Eval.Shifts;

namespace EdgeCL.Eval.Embedding;

/// <summary>Embeddings of (item, domain) pairs for a static backbone: each is computed once per run and shared
/// by every method and draw, so continual evaluation over held-out sets costs only learner predictions.</summary>
/// <remarks>Not thread-safe.</remarks>
public sealed class EmbeddingCache
{
    private readonly ISampleEmbedder _embedder;
    private readonly IReadOnlyList<DatasetItem> _items;
    private readonly IReadOnlyList<ShiftSpec> _shifts;
    private readonly Dictionary<(int Item, int Domain), float[]> _cache = [];

    /// <summary>Creates an empty cache.</summary>
    /// <param name="embedder">Computes misses.</param>
    /// <param name="items">Every item (index = stream item).</param>
    /// <param name="shifts">The shift of each domain (index = stream domain).</param>
    public EmbeddingCache(ISampleEmbedder embedder, IReadOnlyList<DatasetItem> items, IReadOnlyList<ShiftSpec> shifts)
    {
        _embedder = embedder;
        _items = items;
        _shifts = shifts;
    }

    /// <summary>The embedding space.</summary>
    public EmbeddingSpace Space => _embedder.Space;

    /// <summary>Embeddings computed so far.</summary>
    public int Computed { get; private set; }

    /// <summary>Distinct (item, domain) pairs held.</summary>
    public int Count => _cache.Count;

    /// <summary>The embedding of an item under a domain's shift, computed on first use.</summary>
    public float[] Get(int item, int domain)
    {
        if (!_cache.TryGetValue((item, domain), out float[]? embedding))
        {
            embedding = new float[_embedder.Space.Dimension];
            _embedder.Embed(_items[item], item, _shifts[domain], embedding);
            _cache[(item, domain)] = embedding;
            Computed++;
        }
        return embedding;
    }

    /// <summary>Pairs <see cref="Fill"/> embeds per backbone run (1 unless the embedder batches).</summary>
    public int Batch => _embedder is IBatchSampleEmbedder b ? b.Batch : 1;

    /// <summary>Embeds the pairs not yet held, <see cref="Batch"/> per backbone run (at most <see cref="Batch"/> pairs per call).</summary>
    public void Fill(IReadOnlyList<(int Item, int Domain)> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var missing = pairs.Where(p => !_cache.ContainsKey(p)).Distinct().ToList();
        if (_embedder is not IBatchSampleEmbedder batcher || missing.Count <= 1)
        {
            foreach ((int item, int domain) in missing)
                Get(item, domain);
            return;
        }
        int d = _embedder.Space.Dimension;
        var embeddings = new float[missing.Count * d];
        batcher.EmbedBatch([.. missing.Select(p => (_items[p.Item], _shifts[p.Domain]))], embeddings);
        for (int i = 0; i < missing.Count; i++)
        {
            _cache[missing[i]] = embeddings[(i * d)..((i + 1) * d)];
            Computed++;
        }
    }

    /// <summary>Whether the pair is already embedded.</summary>
    public bool Contains(int item, int domain) => _cache.ContainsKey((item, domain));

    /// <summary>An <see cref="IEmbeddingSource"/> over this cache for one stream (static: shared by every method).</summary>
    public IEmbeddingSource SourceFor(EvaluationStream stream) => new CachedSource(this, stream);

    private sealed class CachedSource(EmbeddingCache cache, EvaluationStream stream) : IEmbeddingSource
    {
        public EmbeddingSpace Space => cache.Space;

        public bool IsStatic => true;

        public void Embed(int sample, EmbeddingPurpose purpose, Span<float> destination)
        {
            StreamSample s = stream.Samples[sample];
            cache.Get(s.Item, s.Domain).CopyTo(destination);
        }

        public void Reset()
        {
        }
    }
}
