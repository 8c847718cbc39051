namespace EdgeCL.Core.Fleet.Signing;

/// <summary>
/// The Merkle path of the last batch message a receiver verified, so that the next message of the same batch is checked
/// by hashing only up to the first node the two paths share instead of up to the root.
/// </summary>
/// <remarks>
/// <para>A bundle, a flush read back and an aggregator's cycle arrive in leaf order, so consecutive messages share all
/// but the lowest one or two levels: about 2 node hashes each instead of log2(size), and no root lookup.</para>
/// <para>Exactly as strict as a full check. The walk stops at level l only when the message's node there is at the same
/// position as the remembered one and equal to it, and the message's remaining path (its siblings above l) equals the
/// remembered path above l, for the same key stamp, tree size and signature bytes. The rest of the walk would then
/// repeat the remembered one: same root, same signed statement, already verified. A message that differs anywhere
/// (a forged body, a path that is wrong above the shared node) falls through to the full walk and the signature.</para>
/// <para>Not thread-safe: <see cref="VerifiedRootCache"/> calls it under its lock.</para>
/// </remarks>
internal sealed class VerifiedPath
{
    /// <summary>Levels of a tree of <see cref="SignedPayload.MaxBatchSize"/> leaves, leaves and root included.</summary>
    public const int MaxLevels = 13;

    /// <summary>Bytes of a buffer holding one node per level.</summary>
    public const int NodeBytes = MaxLevels * MerkleTree.HashLength;

    private const int Hash = MerkleTree.HashLength;
    private readonly byte[] _nodes = new byte[NodeBytes];
    private readonly byte[] _path = new byte[(MaxLevels - 1) * Hash];
    private readonly byte[] _signature = new byte[FleetEntryCodec.SignatureLength];
    private readonly int[] _offsets = new int[MaxLevels];
    private long _stamp;
    private int _index, _size, _pathLength = -1;

    /// <summary>
    /// Walks from <paramref name="leaf"/> up, writing the node of each level into <paramref name="nodes"/>, and stops
    /// early where the remembered path makes the rest known. On a stop the message becomes the remembered one.
    /// </summary>
    /// <returns>True when the message is proven by the remembered (verified) path; otherwise false with every level
    /// computed and the root at <paramref name="top"/>.</returns>
    public bool TryReuse(long stamp, ReadOnlySpan<byte> leaf, int index, int size, ReadOnlySpan<byte> path, ReadOnlySpan<byte> signature,
        Span<byte> nodes, out int top)
    {
        bool comparable = _pathLength >= 0 && stamp == _stamp && size == _size && signature.SequenceEqual(_signature);
        leaf.CopyTo(nodes);
        int position = index, p = 0, level = 0;
        for (int count = size; ; count = (count + 1) / 2, position >>= 1, level++)
        {
            Span<byte> node = nodes.Slice(level * Hash, Hash);
            if (comparable && position == _index >> level && node.SequenceEqual(_nodes.AsSpan(level * Hash, Hash))
                && path[p..].SequenceEqual(_path.AsSpan(_offsets[level], _pathLength - _offsets[level])))
            {
                // Above this level the message's nodes are the remembered ones: keep them, take the message's lower part.
                nodes[..(level * Hash)].CopyTo(_nodes);
                path.CopyTo(_path);
                _pathLength = path.Length;
                _index = index;
                Offsets(index, size, _offsets);
                top = level;
                return true;
            }
            if (count == 1)
            {
                top = level;
                return false;
            }
            Span<byte> above = nodes.Slice((level + 1) * Hash, Hash);
            if ((position ^ 1) >= count)
            {
                node.CopyTo(above); // the last node of an odd level goes up unchanged
                continue;
            }
            ReadOnlySpan<byte> sibling = path.Slice(p, Hash);
            p += Hash;
            if ((position & 1) == 0)
                MerkleTree.NodeHash(node, sibling, above);
            else
                MerkleTree.NodeHash(sibling, node, above);
        }
    }

    /// <summary>Remembers a message whose root was just verified (<paramref name="nodes"/> as <see cref="TryReuse"/> computed them, up to <paramref name="top"/>).</summary>
    public void Remember(long stamp, int index, int size, ReadOnlySpan<byte> path, ReadOnlySpan<byte> signature, ReadOnlySpan<byte> nodes, int top)
    {
        nodes[..((top + 1) * Hash)].CopyTo(_nodes);
        path.CopyTo(_path);
        signature.CopyTo(_signature);
        _pathLength = path.Length;
        _stamp = stamp;
        _index = index;
        _size = size;
        Offsets(index, size, _offsets);
    }

    // Where each level's siblings start in the path of leaf `index` (the shape depends only on index and size).
    private static void Offsets(int index, int size, int[] offsets)
    {
        int p = 0, level = 0;
        for (int count = size; ; count = (count + 1) / 2, index >>= 1, level++)
        {
            offsets[level] = p;
            if (count == 1)
                return;
            if ((index ^ 1) < count)
                p += Hash;
        }
    }
}
