using System.Security.Cryptography;

namespace EdgeCL.Core.Fleet.Signing;

/// <summary>
/// The binary hash tree behind a batch signature (<see cref="SignedPayload"/>): a signer signs the root once and every
/// message carries the path from its leaf to the root.
/// </summary>
/// <remarks>
/// <para>Domain-separated SHA-256, so a leaf can never pass for a node: leaf = H(0x00 ‖ message bytes),
/// node = H(0x01 ‖ left ‖ right).</para>
/// <para>Odd levels: the last node of a level with an odd count is promoted to the next level unchanged (no
/// duplication, so no two different leaf lists share a root, unlike Bitcoin's duplicate-last rule). The shape is a pure
/// function of the size, so (index, size) alone say at which levels a leaf has a sibling: the path carries exactly those
/// siblings, bottom-up, and its length is <see cref="PathLength"/>. The size is bound by the signature.</para>
/// </remarks>
public static class MerkleTree
{
    /// <summary>Bytes of a hash (leaf, node, root, path element).</summary>
    public const int HashLength = 32;

    private const byte LeafPrefix = 0x00, NodePrefix = 0x01;

    // One incremental hasher per thread, so hashing a received message allocates nothing.
    [ThreadStatic]
    private static IncrementalHash? t_leafHasher;

    /// <summary>H(0x00 ‖ <paramref name="message"/>) into <paramref name="hash"/> (32 bytes).</summary>
    public static void LeafHash(ReadOnlySpan<byte> message, Span<byte> hash)
    {
        if (hash.Length != HashLength)
            throw new ArgumentException($"The hash buffer must have {HashLength} bytes.", nameof(hash));
        IncrementalHash sha = t_leafHasher ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData([LeafPrefix]);
        sha.AppendData(message);
        sha.TryGetHashAndReset(hash, out _);
    }

    /// <summary>H(0x01 ‖ <paramref name="left"/> ‖ <paramref name="right"/>) into <paramref name="hash"/>; <paramref name="hash"/> may alias either input.</summary>
    public static void NodeHash(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> hash)
    {
        Span<byte> node = stackalloc byte[1 + (2 * HashLength)];
        node[0] = NodePrefix;
        left.CopyTo(node[1..]);
        right.CopyTo(node[(1 + HashLength)..]);
        SHA256.HashData(node, hash);
    }

    /// <summary>How many siblings the path of leaf <paramref name="index"/> in a tree of <paramref name="size"/> leaves has (0 for a tree of one).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not below <paramref name="size"/>.</exception>
    public static int PathLength(int index, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, size);
        int length = 0;
        for (int count = size; count > 1; count = (count + 1) / 2, index >>= 1)
            if ((index ^ 1) < count)
                length++;
        return length;
    }

    /// <summary>
    /// Folds <paramref name="path"/> (<see cref="PathLength"/> × 32 bytes, bottom-up) onto <paramref name="leaf"/> and
    /// writes the root into <paramref name="root"/>. No allocation.
    /// </summary>
    /// <exception cref="ArgumentException">The path length does not fit (index, size), or a buffer is not 32 bytes.</exception>
    public static void ComputeRoot(ReadOnlySpan<byte> leaf, int index, int size, ReadOnlySpan<byte> path, Span<byte> root)
    {
        if (leaf.Length != HashLength || root.Length != HashLength || path.Length != PathLength(index, size) * HashLength)
            throw new ArgumentException($"Leaf and root must be {HashLength} bytes and the path {PathLength(index, size)} hashes for leaf {index} of {size}.", nameof(path));
        leaf.CopyTo(root);
        int p = 0;
        for (int count = size; count > 1; count = (count + 1) / 2, index >>= 1)
        {
            if ((index ^ 1) >= count)
                continue; // the last node of an odd level goes up unchanged
            ReadOnlySpan<byte> sibling = path.Slice(p, HashLength);
            p += HashLength;
            if ((index & 1) == 0)
                NodeHash(root, sibling, root);
            else
                NodeHash(sibling, root, root);
        }
    }

    /// <summary>Builds the tree over <paramref name="leaves"/> (each 32 bytes, from <see cref="LeafHash"/>): the root and every leaf's path.</summary>
    /// <exception cref="ArgumentException">No leaves, or a leaf is not 32 bytes.</exception>
    public static (byte[] Root, byte[][] Paths) Build(IReadOnlyList<byte[]> leaves)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        if (leaves.Count == 0)
            throw new ArgumentException("A tree needs at least one leaf.", nameof(leaves));
        foreach (byte[] leaf in leaves)
            if (leaf is not { Length: HashLength })
                throw new ArgumentException($"Every leaf must be a {HashLength}-byte hash.", nameof(leaves));
        byte[][] bottom = [.. leaves];
        var levels = new List<byte[][]> { bottom };
        while (levels[^1].Length > 1)
        {
            byte[][] below = levels[^1];
            var above = new byte[(below.Length + 1) / 2][];
            for (int i = 0; i < above.Length; i++)
            {
                if ((2 * i) + 1 < below.Length)
                {
                    above[i] = new byte[HashLength];
                    NodeHash(below[2 * i], below[(2 * i) + 1], above[i]);
                }
                else
                {
                    above[i] = below[2 * i]; // promoted
                }
            }
            levels.Add(above);
        }
        var paths = new byte[leaves.Count][];
        for (int leaf = 0; leaf < paths.Length; leaf++)
        {
            paths[leaf] = new byte[PathLength(leaf, leaves.Count) * HashLength];
            int p = 0, index = leaf;
            foreach (byte[][] level in levels)
            {
                if ((index ^ 1) < level.Length)
                {
                    level[index ^ 1].CopyTo(paths[leaf], p);
                    p += HashLength;
                }
                index >>= 1;
            }
        }
        return (levels[^1][0], paths);
    }
}
