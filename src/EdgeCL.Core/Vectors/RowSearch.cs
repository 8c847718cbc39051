using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace EdgeCL.Core.Vectors;

/// <summary>
/// Exhaustive inner-product search over a row-major matrix at batch 1: the kNN memory's hot path.
/// </summary>
/// <remarks>
/// <para>One <see cref="TensorPrimitives.Dot"/> call per row spends more on call overhead and a full horizontal sum
/// than on the few vectors of a 96-float row; here four short rows share each query load and keep independent SIMD
/// accumulators, and long rows are read front to back with four accumulators, so a scan runs close to the speed of
/// reading the matrix. <see cref="Vector{T}"/> keeps one path for AVX2, AVX-512 (256-bit there: managed arrays are
/// not 64-byte aligned and 512-bit loads measured slower) and NEON. The sums are taken in another order than
/// <see cref="VectorKernels.DotRows"/>, so scores may differ from it in the last bit.</para>
/// <para><see cref="TopK"/> fuses the scores with the selection: blocks of scores stay in a stack buffer, and a
/// SIMD comparison with the current k-th best skips a whole vector of rows that cannot enter. Nothing allocates.</para>
/// </remarks>
public static class RowSearch
{
    private const int Block = 256;

    // From this many floats a row is read front to back on its own (measured: 512-float rows ~25 % faster than in
    // blocks of four); shorter rows go four at a time, which saves three quarters of the query loads and the sums.
    private const int LongRow = 256;

    /// <summary>Writes <c>row · query</c> for each of the <paramref name="scores"/>.Length rows.</summary>
    /// <exception cref="ArgumentException">Matrix, query and score lengths do not agree.</exception>
    public static void Dot(ReadOnlySpan<float> matrix, int dimension, ReadOnlySpan<float> query, Span<float> scores)
    {
        if (dimension <= 0 || (long)scores.Length * dimension > matrix.Length || query.Length != dimension)
            throw new ArgumentException("Matrix, query and score lengths do not agree.");
        int r = 0;
        if (Vector.IsHardwareAccelerated && dimension % Vector<float>.Count == 0)
            r = DotVector(matrix, dimension, query, scores);
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
            Dot(matrix.Slice(start * dimension, n * dimension), dimension, query, block[..n]);
            Select(block[..n], start, ref filled, k, indices, values);
        }
        return k;
    }

    /// <summary>
    /// <see cref="VectorKernels.TopK"/> (the same result, ties: lower index first) with a SIMD skip over vectors of
    /// scores that cannot enter: for long score arrays, such as one score per stored example.
    /// </summary>
    /// <returns>How many were written: min(k, scores.Length).</returns>
    public static int SelectTopK(ReadOnlySpan<float> scores, Span<int> indices, Span<float> values)
    {
        int k = Math.Min(indices.Length, scores.Length);
        if (values.Length < k)
            throw new ArgumentException("The values span is shorter than the indices span.", nameof(values));
        int filled = 0;
        if (k > 0)
            Select(scores, 0, ref filled, k, indices, values);
        return k;
    }

    private static void Select(ReadOnlySpan<float> scores, int offset, ref int filled, int k, Span<int> indices, Span<float> values)
    {
        int i = 0, n = scores.Length, w = Vector<float>.Count;
        while (i < n)
        {
            if (filled == k && i + w <= n && !Vector.GreaterThanAny(new Vector<float>(scores.Slice(i, w)), new Vector<float>(values[k - 1])))
            {
                i += w; // no score of this vector beats the k-th best (NaN never does)
                continue;
            }
            float s = scores[i];
            if (filled < k || s > values[k - 1])
                Insert(s, offset + i, ref filled, k, indices, values);
            i++;
        }
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

    private static int DotVector(ReadOnlySpan<float> matrix, int d, ReadOnlySpan<float> query, Span<float> scores)
    {
        int w = Vector<float>.Count;
        ref float m = ref MemoryMarshal.GetReference(matrix);
        ref float qs = ref MemoryMarshal.GetReference(query);
        int r = 0;
        if (d >= LongRow && d % (4 * w) == 0)
            return DotLongRows(ref m, ref qs, d, w, scores);
        for (; r + 4 <= scores.Length; r += 4)
        {
            // Bounds: the caller checked rows × d ≤ matrix.Length and query.Length == d, so every load is inside.
            nuint row0 = (nuint)r * (nuint)d, ud = (nuint)d;
            Vector<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (nuint j = 0; j < ud; j += (nuint)w)
            {
                Vector<float> q = Vector.LoadUnsafe(ref qs, j);
                nuint o = row0 + j;
                a0 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref m, o), q, a0);
                a1 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref m, o + ud), q, a1);
                a2 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref m, o + 2 * ud), q, a2);
                a3 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref m, o + 3 * ud), q, a3);
            }
            scores[r] = Vector.Sum(a0);
            scores[r + 1] = Vector.Sum(a1);
            scores[r + 2] = Vector.Sum(a2);
            scores[r + 3] = Vector.Sum(a3);
        }
        for (; r < scores.Length; r++)
        {
            nuint row0 = (nuint)r * (nuint)d;
            Vector<float> a = default;
            for (nuint j = 0; j < (nuint)d; j += (nuint)w)
                a = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref m, row0 + j), Vector.LoadUnsafe(ref qs, j), a);
            scores[r] = Vector.Sum(a);
        }
        return r;
    }

    /// <summary>Long rows: one row at a time, read front to back with four accumulators, like a plain sequential read.</summary>
    private static int DotLongRows(ref float m, ref float qs, int d, int w, Span<float> scores)
    {
        nuint ud = (nuint)d, uw = (nuint)w;
        for (int r = 0; r < scores.Length; r++)
        {
            nuint row0 = (nuint)r * ud;
            Vector<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (nuint j = 0; j < ud; j += 4 * uw)
            {
                nuint o = row0 + j;
                a0 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref m, o), Vector.LoadUnsafe(ref qs, j), a0);
                a1 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref m, o + uw), Vector.LoadUnsafe(ref qs, j + uw), a1);
                a2 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref m, o + 2 * uw), Vector.LoadUnsafe(ref qs, j + 2 * uw), a2);
                a3 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref m, o + 3 * uw), Vector.LoadUnsafe(ref qs, j + 3 * uw), a3);
            }
            scores[r] = Vector.Sum((a0 + a1) + (a2 + a3));
        }
        return scores.Length;
    }
}
