using System.Numerics.Tensors;
using EdgeCL.Core.Errors;

namespace EdgeCL.Core.Vectors;

/// <summary>
/// Span kernels over float32 vectors: dot, cosine, L2, normalisation, centring, softmax, entropy, top-k.
/// </summary>
/// <remarks>
/// All are built on <see cref="TensorPrimitives"/> (SIMD) and allocate nothing. Row-major matrices are one
/// contiguous span of rows × dimension floats, rows taken as <c>matrix.Slice(row * dimension, dimension)</c>.
/// </remarks>
public static class VectorKernels
{
    /// <summary>Dot product of two equal-length vectors.</summary>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => TensorPrimitives.Dot(a, b);

    /// <summary>Cosine similarity; 0 when either vector is zero.</summary>
    public static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float na = TensorPrimitives.Norm(a), nb = TensorPrimitives.Norm(b);
        return na == 0f || nb == 0f ? 0f : TensorPrimitives.Dot(a, b) / (na * nb);
    }

    /// <summary>Squared Euclidean distance.</summary>
    public static float SquaredL2(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float d = TensorPrimitives.Distance(a, b);
        return d * d;
    }

    /// <summary>Euclidean norm.</summary>
    public static float Norm(ReadOnlySpan<float> a) => TensorPrimitives.Norm(a);

    /// <summary>Scales <paramref name="v"/> to unit L2 norm in place; leaves a zero vector unchanged.</summary>
    /// <returns>The norm before scaling.</returns>
    public static float NormalizeInPlace(Span<float> v)
    {
        float n = TensorPrimitives.Norm(v);
        if (n > 0f)
            TensorPrimitives.Multiply(v, 1f / n, v);
        return n;
    }

    /// <summary>Writes <c>(source − centre) / ‖source − centre‖</c> to <paramref name="destination"/> (CL2N).</summary>
    public static void CenterAndNormalize(ReadOnlySpan<float> source, ReadOnlySpan<float> centre, Span<float> destination)
    {
        TensorPrimitives.Subtract(source, centre, destination);
        NormalizeInPlace(destination);
    }

    /// <summary>True when every element is finite (no NaN, no ±Inf).</summary>
    public static bool AllFinite(ReadOnlySpan<float> v)
    {
        // Sum of x·0 is NaN iff some x is NaN or Inf: one SIMD pass, no branches per element.
        return float.IsFinite(TensorPrimitives.Dot(v, v)) || AllFiniteSlow(v);
    }

    private static bool AllFiniteSlow(ReadOnlySpan<float> v)
    {
        // Dot(v, v) can overflow to +Inf for huge but finite values; confirm element by element.
        foreach (float x in v)
            if (!float.IsFinite(x))
                return false;
        return true;
    }

    /// <summary>Validates an embedding's length and values.</summary>
    /// <exception cref="EmbeddingException">Wrong length, or a NaN/Inf element.</exception>
    public static void EnsureValidEmbedding(ReadOnlySpan<float> embedding, int dimension, string what = "Embedding")
    {
        if (embedding.Length != dimension)
            throw new EmbeddingException(
                $"{what} has {embedding.Length} values but this memory expects {dimension}; " +
                "check that the backbone matches the one the state was made with.");
        if (!AllFinite(embedding))
            throw new EmbeddingException(
                $"{what} contains NaN or infinity at index {IndexOfNonFinite(embedding)}; " +
                "the input or backbone produced invalid values: check the input file and preprocessing.");
    }

    /// <summary>Index of the first non-finite element, or −1.</summary>
    public static int IndexOfNonFinite(ReadOnlySpan<float> v)
    {
        for (int i = 0; i < v.Length; i++)
            if (!float.IsFinite(v[i]))
                return i;
        return -1;
    }

    /// <summary>Writes <c>matrix · query</c> for each row (rows × dimension matrix) into <paramref name="scores"/>.</summary>
    public static void DotRows(ReadOnlySpan<float> matrix, int dimension, ReadOnlySpan<float> query, Span<float> scores)
    {
        int rows = scores.Length;
        if (matrix.Length < rows * dimension || query.Length != dimension)
            throw new ArgumentException("Matrix, query and score lengths do not agree.");
        for (int r = 0; r < rows; r++)
            scores[r] = TensorPrimitives.Dot(matrix.Slice(r * dimension, dimension), query);
    }

    /// <summary>Writes the negative squared L2 distance from <paramref name="query"/> to each row.</summary>
    public static void NegativeSquaredL2Rows(ReadOnlySpan<float> matrix, int dimension, ReadOnlySpan<float> query, Span<float> scores)
    {
        int rows = scores.Length;
        if (matrix.Length < rows * dimension || query.Length != dimension)
            throw new ArgumentException("Matrix, query and score lengths do not agree.");
        for (int r = 0; r < rows; r++)
        {
            float d = TensorPrimitives.Distance(matrix.Slice(r * dimension, dimension), query);
            scores[r] = -(d * d);
        }
    }

    /// <summary>Softmax of <c>scores / temperature</c> into <paramref name="probabilities"/> (numerically stable).</summary>
    public static void Softmax(ReadOnlySpan<float> scores, float temperature, Span<float> probabilities)
    {
        if (!(temperature > 0f))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "Temperature must be > 0.");
        if (scores.Length == 0)
            return;
        // TensorPrimitives.SoftMax does not subtract the maximum, so exp overflows for large scores: shift first.
        float max = TensorPrimitives.Max(scores);
        TensorPrimitives.Subtract(scores, max, probabilities);
        TensorPrimitives.Multiply(probabilities, 1f / temperature, probabilities);
        TensorPrimitives.Exp(probabilities, probabilities);
        TensorPrimitives.Divide(probabilities, TensorPrimitives.Sum(probabilities), probabilities);
    }

    /// <summary>Shannon entropy −Σ p·ln p in nats (terms with p = 0 contribute 0).</summary>
    public static float Entropy(ReadOnlySpan<float> probabilities)
    {
        float h = 0f;
        foreach (float p in probabilities)
            if (p > 0f)
                h -= p * MathF.Log(p);
        return h;
    }

    /// <summary>
    /// Selects the <paramref name="indices"/>.Length largest scores, sorted descending (ties: lower index first).
    /// </summary>
    /// <returns>How many were written: min(k, scores.Length).</returns>
    /// <remarks>O(n·k) partial insertion, k small (≤ 100) on every path that uses it; vectors of scores below the k-th best are skipped.</remarks>
    public static int TopK(ReadOnlySpan<float> scores, Span<int> indices, Span<float> values) => RowSearch.SelectTopK(scores, indices, values);
}
