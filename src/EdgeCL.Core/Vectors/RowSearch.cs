using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace EdgeCL.Core.Vectors;

/// <summary>
/// Exhaustive inner-product search over a row-major matrix at batch 1: the kNN memory's hot path.
/// </summary>
/// <remarks>
/// <para>One <see cref="TensorPrimitives.Dot"/> call per row spends more on call overhead and a full horizontal sum
/// than on the few vectors of a 96-float row; here four rows share each query load and keep independent SIMD
/// accumulators, so a scan runs at the speed of reading the matrix. The sums are taken in another order than
/// <see cref="VectorKernels.DotRows"/>, so scores may differ from it in the last bit.</para>
/// <para><see cref="TopK"/> fuses the scores with the selection: blocks of scores stay in a stack buffer, and a
/// SIMD comparison with the current k-th best skips a whole vector of rows that cannot enter. Nothing allocates.</para>
/// </remarks>
public static class RowSearch
{
    private const int Block = 256;

    /// <summary>Writes <c>row · query</c> for each of the <paramref name="scores"/>.Length rows.</summary>
    /// <exception cref="ArgumentException">Matrix, query and score lengths do not agree.</exception>
    public static void Dot(ReadOnlySpan<float> matrix, int dimension, ReadOnlySpan<float> query, Span<float> scores)
    {
        if (dimension <= 0 || (long)scores.Length * dimension > matrix.Length || query.Length != dimension)
            throw new ArgumentException("Matrix, query and score lengths do not agree.");
        int r = 0;
        if (Vector512.IsHardwareAccelerated && dimension % Vector512<float>.Count == 0)
            r = Dot512(matrix, dimension, query, scores);
        else if (Vector256.IsHardwareAccelerated && dimension % Vector256<float>.Count == 0)
            r = Dot256(matrix, dimension, query, scores);
        for (; r < scores.Length; r++)
            scores[r] = TensorPrimitives.Dot(matrix.Slice(r * dimension, dimension), query);
    }

    /// <summary>
    /// The <paramref name="indices"/>.Length rows of largest <c>row · query</c>, sorted descending (ties: lower row
    /// first): the same as <see cref="Dot"/> over all rows then <see cref="VectorKernels.TopK"/>, in one pass.
    /// </summary>
    /// <returns>How many were written: min(k, rows).</returns>
    /// <exception cref="ArgumentException">Matrix, query, row count or output lengths do not agree.</exception>
    public static int TopK(ReadOnlySpan<float> matrix, int dimension, int rows, ReadOnlySpan<float> query, Span<int> indices, Span<float> values)
    {
        if (rows < 0 || dimension <= 0 || (long)rows * dimension > matrix.Length || query.Length != dimension)
            throw new ArgumentException("Matrix, query and row count do not agree.");
        int k = Math.Min(indices.Length, rows);
        if (values.Length < k)
            throw new ArgumentException("The values span is shorter than the indices span.", nameof(values));
        if (k == 0)
            return 0;
        Span<float> block = stackalloc float[Block];
        int filled = 0;
        for (int start = 0; start < rows; start += Block)
        {
            int n = Math.Min(Block, rows - start);
            Span<float> scores = block[..n];
            Dot(matrix.Slice(start * dimension, n * dimension), dimension, query, scores);
            int i = 0;
            while (i < n)
            {
                if (filled == k && i + Vector256<float>.Count <= n
                    && Vector256.GreaterThanAny(Vector256.Create(scores.Slice(i, Vector256<float>.Count)), Vector256.Create(values[k - 1])) is false)
                {
                    i += Vector256<float>.Count; // no row of this vector beats the k-th best (NaN never does)
                    continue;
                }
                float s = scores[i];
                if (filled < k || s > values[k - 1])
                    Insert(s, start + i, ref filled, k, indices, values);
                i++;
            }
        }
        return k;
    }

    private static void Insert(float s, int row, ref int filled, int k, Span<int> indices, Span<float> values)
    {
        int pos = filled < k ? filled++ : k - 1;
        while (pos > 0 && s > values[pos - 1])
        {
            values[pos] = values[pos - 1];
            indices[pos] = indices[pos - 1];
            pos--;
        }
        values[pos] = s;
        indices[pos] = row;
    }

    private static int Dot512(ReadOnlySpan<float> matrix, int d, ReadOnlySpan<float> query, Span<float> scores)
    {
        const int w = 16;
        ref float m = ref MemoryMarshal.GetReference(matrix);
        ref float qs = ref MemoryMarshal.GetReference(query);
        int r = 0;
        for (; r + 4 <= scores.Length; r += 4)
        {
            // Bounds: the caller checked rows × d ≤ matrix.Length and query.Length == d, so every load is inside.
            nuint row0 = (nuint)r * (nuint)d, ud = (nuint)d;
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (nuint j = 0; j < ud; j += w)
            {
                Vector512<float> q = Vector512.LoadUnsafe(ref qs, j);
                nuint o = row0 + j;
                a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref m, o), q, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref m, o + ud), q, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref m, o + 2 * ud), q, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref m, o + 3 * ud), q, a3);
            }
            scores[r] = Vector512.Sum(a0);
            scores[r + 1] = Vector512.Sum(a1);
            scores[r + 2] = Vector512.Sum(a2);
            scores[r + 3] = Vector512.Sum(a3);
        }
        for (; r < scores.Length; r++)
        {
            nuint row0 = (nuint)r * (nuint)d;
            Vector512<float> a = default;
            for (nuint j = 0; j < (nuint)d; j += w)
                a = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref m, row0 + j), Vector512.LoadUnsafe(ref qs, j), a);
            scores[r] = Vector512.Sum(a);
        }
        return r;
    }

    private static int Dot256(ReadOnlySpan<float> matrix, int d, ReadOnlySpan<float> query, Span<float> scores)
    {
        const int w = 8;
        ref float m = ref MemoryMarshal.GetReference(matrix);
        ref float qs = ref MemoryMarshal.GetReference(query);
        int r = 0;
        for (; r + 4 <= scores.Length; r += 4)
        {
            // Bounds: the caller checked rows × d ≤ matrix.Length and query.Length == d, so every load is inside.
            nuint row0 = (nuint)r * (nuint)d, ud = (nuint)d;
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (nuint j = 0; j < ud; j += w)
            {
                Vector256<float> q = Vector256.LoadUnsafe(ref qs, j);
                nuint o = row0 + j;
                a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref m, o), q, a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref m, o + ud), q, a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref m, o + 2 * ud), q, a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref m, o + 3 * ud), q, a3);
            }
            scores[r] = Vector256.Sum(a0);
            scores[r + 1] = Vector256.Sum(a1);
            scores[r + 2] = Vector256.Sum(a2);
            scores[r + 3] = Vector256.Sum(a3);
        }
        for (; r < scores.Length; r++)
        {
            nuint row0 = (nuint)r * (nuint)d;
            Vector256<float> a = default;
            for (nuint j = 0; j < (nuint)d; j += w)
                a = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref m, row0 + j), Vector256.LoadUnsafe(ref qs, j), a);
            scores[r] = Vector256.Sum(a);
        }
        return r;
    }
}
