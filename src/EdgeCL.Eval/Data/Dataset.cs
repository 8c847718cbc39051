namespace EdgeCL.Eval.Data;

/// <summary>A loaded dataset: its items (files or .npy rows), classes and natural domains.</summary>
public sealed class Dataset
{
    internal Dataset(string root, DatasetKind kind, IReadOnlyList<DatasetItem> items, float[]? embeddings, int dimension)
    {
        Root = root;
        Kind = kind;
        Items = items;
        Embeddings = embeddings;
        Dimension = dimension;
        Classes = items.Select(i => i.Label).Distinct().Order(StringComparer.Ordinal).ToList();
        Domains = items.Where(i => i.Domain is not null).Select(i => i.Domain!).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The folder, .npy file or manifest it came from.</summary>
    public string Root { get; }

    /// <summary>Files or embedding rows.</summary>
    public DatasetKind Kind { get; }

    /// <summary>The samples, in a stable order (domain, class, name).</summary>
    public IReadOnlyList<DatasetItem> Items { get; }

    /// <summary>Class names, ordinal order.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Natural domain names, ordinal order (empty without a domain level).</summary>
    public IReadOnlyList<string> Domains { get; }

    /// <summary>Row-major embeddings of an .npy dataset, else null.</summary>
    public float[]? Embeddings { get; }

    /// <summary>Embedding length of an .npy dataset, else 0.</summary>
    public int Dimension { get; }
}
