using EdgeCL.Core.Errors;

namespace EdgeCL.Core.Vectors;

/// <summary>
/// Identity of an embedding space: one backbone, one front end, one normalisation, one dimension.
/// </summary>
/// <remarks>
/// Prototypes are meaningful only inside the space that made them (design.md §3). <see cref="Id"/> is a
/// hash of the model bytes and the preprocessing settings; every stored or synced vector carries it, and a
/// mismatch is an error, never a silent mix.
/// </remarks>
/// <param name="Id">Lower-case hex hash that names the space.</param>
/// <param name="Dimension">Length of every embedding in this space.</param>
public sealed record EmbeddingSpace(string Id, int Dimension)
{
    /// <summary>Largest dimension accepted anywhere (guards allocation from forged state files).</summary>
    public const int MaxDimension = 1 << 16;

    /// <summary>Validates the identity and dimension.</summary>
    /// <exception cref="ArgumentException">The id is empty or not hex, or the dimension is out of range.</exception>
    public void Validate()
    {
        if (string.IsNullOrEmpty(Id) || Id.Length > 64 || !IsLowerHex(Id))
            throw new ArgumentException($"Embedding space id '{Id}' must be 1-64 lower-case hex characters.", nameof(Id));
        if (Dimension <= 0 || Dimension > MaxDimension)
            throw new ArgumentException($"Embedding dimension {Dimension} is out of range 1..{MaxDimension}.", nameof(Dimension));
    }

    /// <summary>Throws unless <paramref name="other"/> is this same space.</summary>
    /// <exception cref="EmbeddingException">The spaces differ.</exception>
    public void EnsureSame(EmbeddingSpace other, string what)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Id != Id || other.Dimension != Dimension)
            throw new EmbeddingException(
                $"{what} is from embedding space {other.Id} ({other.Dimension}-d) but this one is {Id} ({Dimension}-d); " +
                "vectors from different backbones or preprocessing cannot be mixed: use the same backbone or start a new state.");
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Id} ({Dimension}-d)";

    private static bool IsLowerHex(string s)
    {
        foreach (char c in s)
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
                return false;
        return true;
    }
}
