using System.Security.Cryptography;
using EdgeCL.Core.Fleet.Signing;

namespace EdgeCL.Core.Tests.Fleet;

public sealed class MerkleTreeTests
{
    private static byte[][] Leaves(int count) =>
        [.. Enumerable.Range(0, count).Select(i =>
        {
            byte[] leaf = new byte[MerkleTree.HashLength];
            MerkleTree.LeafHash(BitConverter.GetBytes(i), leaf);
            return leaf;
        })];

    [Fact]
    public void EveryLeafOfEverySize_FoldsToTheRoot_WithThePathLengthTheShapeSays()
    {
        byte[] root = new byte[MerkleTree.HashLength];
        for (int size = 1; size <= 70; size++)
        {
            (byte[] expected, byte[][] paths) = MerkleTree.Build(Leaves(size));
            byte[][] leaves = Leaves(size);
            int depth = (int)Math.Ceiling(Math.Log2(size));
            for (int i = 0; i < size; i++)
            {
                Assert.Equal(MerkleTree.PathLength(i, size) * MerkleTree.HashLength, paths[i].Length);
                Assert.InRange(MerkleTree.PathLength(i, size), size == 1 ? 0 : 1, depth);
                MerkleTree.ComputeRoot(leaves[i], i, size, paths[i], root);
                Assert.True(root.AsSpan().SequenceEqual(expected), $"leaf {i} of {size}");
            }
        }
    }

    [Fact]
    public void Hashes_AreDomainSeparated_AndOddNodesArePromotedNotDuplicated()
    {
        byte[][] three = Leaves(3);
        (byte[] root3, _) = MerkleTree.Build(three);
        // Promotion: root(a, b, c) = node(node(a, b), c); duplication would give node(node(a, b), node(c, c)).
        byte[] ab = new byte[32], expected = new byte[32];
        MerkleTree.NodeHash(three[0], three[1], ab);
        MerkleTree.NodeHash(ab, three[2], expected);
        Assert.Equal(expected, root3);
        (byte[] root4, _) = MerkleTree.Build([.. three, three[2]]);
        Assert.NotEqual(root3, root4);
        // A leaf is H(0x00 ‖ m) and a node H(0x01 ‖ l ‖ r): never the plain hash of the same bytes.
        byte[] leaf = new byte[32];
        MerkleTree.LeafHash(ab, leaf);
        Assert.NotEqual(SHA256.HashData(ab), leaf);
    }

    [Fact]
    public void ComputeRoot_PathOfTheWrongLength_Throws()
    {
        (_, byte[][] paths) = MerkleTree.Build(Leaves(5));
        byte[] root = new byte[32];
        Assert.Throws<ArgumentException>(() => MerkleTree.ComputeRoot(Leaves(5)[0], 0, 5, paths[0][..32], root));
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleTree.PathLength(5, 5));
    }
}
