using System.Buffers.Binary;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Fleet.Aggregation;
using EdgeCL.Core.Fleet.Signing;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Tests.Fleet;

public sealed class BatchSignatureTests : IDisposable
{
    private static readonly EmbeddingSpace Space = new("0123456789abcdef", 4);
    private readonly TrustedPair _keys = new();
    private EntrySigner Alice => _keys.Alice;
    private EntrySigner Bob => _keys.Bob;
    private TrustStore Trust => _keys.Trust;

    public void Dispose() => _keys.Dispose();

    private static FleetEntry Entry(string device, int i) => new()
    {
        SpaceId = Space.Id, DeviceId = device, Label = $"class-{i}", Version = i + 1, Count = i % 4,
        Mean = i % 4 == 0 ? [] : [0.5f * i, -0.5f, 0.25f, 1f],
    };

    private static FleetEntry[] Entries(string device, int count) => [.. Enumerable.Range(0, count).Select(i => Entry(device, i))];

    [Fact]
    public void EveryMessageOfEverySize_DecodesToItsEntryAndVerifies_WithOneSignatureCheckPerBatch()
    {
        for (int size = 1; size <= 70; size++)
        {
            FleetEntry[] entries = Entries("alice", size);
            long signed = Alice.SignatureCount;
            byte[][] payloads = FleetEntryCodec.EncodeBatch(entries, FleetVectorType.Float16, Alice);
            Assert.Equal(1, Alice.SignatureCount - signed);
            var cache = new VerifiedRootCache(8);
            for (int i = 0; i < size; i++)
            {
                Assert.Equal(size > 1, SignedPayload.IsBatch(payloads[i]));
                Assert.True(FleetEntryCodec.TryDecode(payloads[i], out FleetEntry? decoded, out FleetDecodeError error), $"{i} of {size}: {error}");
                Assert.Equal(0, FleetEntryOrder.Compare(decoded, entries[i] with { Mean = Array.ConvertAll(entries[i].Mean, x => (float)(Half)x) }));
                Assert.Equal(SignatureStatus.Valid, Trust.VerifyPayload("alice", payloads[i], cache));
                Assert.Equal(SignatureStatus.Valid, Trust.VerifyPayload("alice", payloads[i])); // and without a cache
            }
            Assert.Equal(1, cache.SignatureChecks);
            Assert.Equal(size - 1, cache.CachedRoots);
        }
    }

    [Fact]
    public void BatchOfOne_IsTheSingleSignatureFormat_ByteLayoutOfOldBuilds()
    {
        byte[] one = FleetEntryCodec.EncodeBatch([Entry("alice", 1)], FleetVectorType.Float32, Alice)[0];
        byte[] alone = FleetEntryCodec.Encode(Entry("alice", 1), FleetVectorType.Float32, Alice);
        Assert.Equal(FleetEntryCodec.FormatVersion, one[2]);
        Assert.Equal(alone.Length, one.Length);
        Assert.True(SignedPayload.ContentEquals(one, alone));
    }

    [Fact]
    public void BatchSigned_SameContentAsSingleSigned_AndAFormatByteOldBuildsRefuse()
    {
        FleetEntry[] entries = Entries("alice", 3);
        byte[][] batch = FleetEntryCodec.EncodeBatch(entries, FleetVectorType.Float32, Alice);
        for (int i = 0; i < entries.Length; i++)
        {
            byte[] alone = FleetEntryCodec.Encode(entries[i], FleetVectorType.Float32, Alice);
            Assert.True(SignedPayload.ContentEquals(batch[i], alone));
            Assert.False(SignedPayload.ContentEquals(batch[i], batch[(i + 1) % 3]));
            // Old builds compare the format byte to exactly 1 (FleetWire.CheckHeader): 0x81 is an unsupported format to them.
            Assert.Equal(FleetEntryCodec.FormatVersion | SignedPayload.BatchFlag, batch[i][2]);
        }
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(5, 4)] // the promoted last leaf of an odd tree
    [InlineData(7, 2)]
    public void EverySingleBitFlip_InMessagePathIndexSizeOrSignature_IsRejected(int size, int index)
    {
        byte[] payload = FleetEntryCodec.EncodeBatch(Entries("alice", size), FleetVectorType.Float16, Alice)[index];
        var cache = new VerifiedRootCache(4);
        Assert.Equal(SignatureStatus.Valid, Trust.VerifyPayload("alice", payload, cache)); // the root is cached now
        for (int bit = 0; bit < payload.Length * 8; bit++)
        {
            byte[] flipped = (byte[])payload.Clone();
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            bool decodes = FleetEntryCodec.TryDecode(flipped, out FleetEntry? entry, out _);
            Assert.True(!decodes || entry!.DeviceId != "alice" || Trust.VerifyPayload("alice", flipped, cache) != SignatureStatus.Valid,
                $"flipping bit {bit} of {payload.Length * 8} went unnoticed");
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)] // a promoted last leaf
    [InlineData(100)]
    [InlineData(129)] // a promoted subtree
    public void MessagesOfABatch_InOrderOrNot_VerifyWithOneSignatureCheck_MostOnTheLastVerifiedPath(int size)
    {
        byte[][] payloads = FleetEntryCodec.EncodeBatch(Entries("alice", size), FleetVectorType.Float16, Alice);
        var cache = new VerifiedRootCache(4);
        foreach (int i in Enumerable.Range(0, size).Concat(Enumerable.Range(0, size).Reverse()).Concat(Enumerable.Range(0, size).Select(i => i * 37 % size)))
            Assert.Equal(SignatureStatus.Valid, Trust.VerifyPayload("alice", payloads[i], cache));
        Assert.Equal(1, cache.SignatureChecks);
        Assert.Equal((3 * size) - 1, cache.CachedRoots);
        Assert.Equal((3 * size) - 1, cache.ReusedPaths); // each shares at least the root with the message before it
    }

    [Fact]
    public void AfterAnyMessageOfABatch_EveryBitFlipOfAnyOther_IsAnsweredExactlyAsAFreshCheckAnswersIt()
    {
        // The last verified path may only shorten the work: never accept what a check without it refuses.
        const int size = 5;
        byte[][] payloads = FleetEntryCodec.EncodeBatch(Entries("alice", size), FleetVectorType.Float32, Alice);
        var cache = new VerifiedRootCache(4);
        for (int before = 0; before < size; before++)
        {
            for (int index = 0; index < size; index++)
            {
                byte[] payload = payloads[index];
                // The path and proof trailer: where a message can differ from its neighbour above the node they share.
                int from = Math.Max(0, payload.Length - SignedPayload.BatchTrailerBytes - (3 * MerkleTree.HashLength) - 8);
                for (int bit = from * 8; bit < payload.Length * 8; bit++)
                {
                    Assert.Equal(SignatureStatus.Valid, Trust.VerifyPayload("alice", payloads[before], cache));
                    byte[] flipped = (byte[])payload.Clone();
                    flipped[bit / 8] ^= (byte)(1 << (bit % 8));
                    Assert.True(Trust.VerifyPayload("alice", flipped) == Trust.VerifyPayload("alice", flipped, cache),
                        $"message {index} with bit {bit} flipped, after message {before}");
                }
            }
        }
    }

    [Fact]
    public void AMessageWhosePathIsWrongAboveTheNodeItSharesWithTheLastVerified_IsRejected()
    {
        byte[][] payloads = FleetEntryCodec.EncodeBatch(Entries("alice", 8), FleetVectorType.Float32, Alice);
        var cache = new VerifiedRootCache(4);
        Assert.Equal(SignatureStatus.Valid, Trust.VerifyPayload("alice", payloads[0], cache));
        // Leaf 1 shares leaf 0's parent: its first sibling (leaf 0) proves it up to there; its last sibling is forged.
        byte[] forged = (byte[])payloads[1].Clone();
        forged[forged.Length - SignedPayload.BatchTrailerBytes - 1] ^= 0x01;
        Assert.Equal(SignatureStatus.Invalid, Trust.VerifyPayload("alice", forged, cache));
        Assert.Equal(SignatureStatus.Invalid, Trust.VerifyPayload("alice", forged));
        Assert.Equal(SignatureStatus.Valid, Trust.VerifyPayload("alice", payloads[1], cache));
    }

    [Fact]
    public void WrongIndexOrSize_IsRejected_AsAMalformedProofOrAForgery()
    {
        byte[] payload = FleetEntryCodec.EncodeBatch(Entries("alice", 6), FleetVectorType.Float32, Alice)[3];
        byte[] WithProof(int index, int size)
        {
            byte[] p = (byte[])payload.Clone();
            BinaryPrimitives.WriteUInt16LittleEndian(p.AsSpan(p.Length - SignedPayload.BatchTrailerBytes), (ushort)index);
            BinaryPrimitives.WriteUInt16LittleEndian(p.AsSpan(p.Length - SignedPayload.BatchTrailerBytes + 2), (ushort)size);
            return p;
        }
        Assert.False(FleetEntryCodec.TryDecode(WithProof(3, 0), out _, out FleetDecodeError e0));
        Assert.Equal(FleetDecodeError.BadBatchProof, e0);
        Assert.False(FleetEntryCodec.TryDecode(WithProof(6, 6), out _, out FleetDecodeError e1));
        Assert.Equal(FleetDecodeError.BadBatchProof, e1);
        Assert.False(FleetEntryCodec.TryDecode(WithProof(3, SignedPayload.MaxBatchSize + 1), out _, out FleetDecodeError e2));
        Assert.Equal(FleetDecodeError.BadBatchProof, e2);
        // Same path length, other position: decodes, but the root differs, so the signature fails.
        byte[] moved = WithProof(2, 6);
        Assert.True(FleetEntryCodec.TryDecode(moved, out _, out _));
        Assert.Equal(SignatureStatus.Invalid, Trust.VerifyPayload("alice", moved, new VerifiedRootCache()));
        // Another size with the same path length (6 and 7 leaves: leaf 3 has 3 siblings in both): the statement binds the size.
        byte[] resized = WithProof(3, 7);
        Assert.True(FleetEntryCodec.TryDecode(resized, out _, out _));
        Assert.Equal(SignatureStatus.Invalid, Trust.VerifyPayload("alice", resized, new VerifiedRootCache()));
    }

    [Fact]
    public void ARootVerifiedForOneKey_NeverLetsAnotherSignersMessageThrough()
    {
        byte[][] alice = FleetEntryCodec.EncodeBatch(Entries("alice", 4), FleetVectorType.Float32, Alice);
        var cache = new VerifiedRootCache();
        Assert.Equal(SignatureStatus.Valid, Trust.VerifyPayload("alice", alice[0], cache));
        // Alice's batch presented as bob's: same root and signature, cached for alice's key only.
        foreach (byte[] payload in alice)
            Assert.Equal(SignatureStatus.Invalid, Trust.VerifyPayload("bob", payload, cache));
        // Bob's own batch: verified with bob's key, not answered from alice's roots.
        byte[][] bob = FleetEntryCodec.EncodeBatch(Entries("bob", 4), FleetVectorType.Float32, Bob);
        long checks = cache.SignatureChecks;
        Assert.Equal(SignatureStatus.Valid, Trust.VerifyPayload("bob", bob[1], cache));
        Assert.Equal(checks + 1, cache.SignatureChecks);
        // A replaced key (rotation) drops what the old one vouched for.
        using var rotated = EntrySigner.Create("alice");
        Trust.Add("alice", rotated.ExportPublicKeyPem());
        Assert.Equal(SignatureStatus.Invalid, Trust.VerifyPayload("alice", alice[1], cache));
    }

    [Fact]
    public void AfterEviction_RootsAreVerifiedAgain_AndTamperedCopiesStillFail()
    {
        var cache = new VerifiedRootCache(capacity: 2);
        byte[][][] batches = [.. Enumerable.Range(0, 5).Select(_ => FleetEntryCodec.EncodeBatch(Entries("alice", 3), FleetVectorType.Float32, Alice))];
        for (int round = 0; round < 3; round++)
        {
            foreach (byte[][] batch in batches)
            {
                foreach (byte[] payload in batch)
                    Assert.Equal(SignatureStatus.Valid, Trust.VerifyPayload("alice", payload, cache));
                byte[] tampered = (byte[])batch[2].Clone();
                tampered[10] ^= 0x01;
                Assert.NotEqual(SignatureStatus.Valid, Trust.VerifyPayload("alice", tampered, cache));
            }
        }
        Assert.Equal(2, cache.Count);
        // Five roots through two slots: every batch is verified again each round (3 × 5), each of its other messages hits.
        Assert.Equal(3 * 5 * 2, cache.CachedRoots);
        Assert.Equal((3 * 5) + (3 * 5), cache.SignatureChecks); // plus one failed check per tampered copy
    }

    [Fact]
    public void AggregatesAndReceipts_SignedAsOneCycle_RoundTripAndVerify()
    {
        using var agg = EntrySigner.Create("agg1");
        using var trust = new TrustStore();
        trust.Add("agg1", agg.ExportPublicKeyPem());
        var state = new FleetState(Space);
        state.Merge(FleetGen.Live("d0", "yes", 3, 2, 1, 2, 3, 4) with { SpaceId = Space.Id });
        state.Merge(FleetGen.Live("d1", "no", 1, 5, -1, 0.5f, 2, 0) with { SpaceId = Space.Id });
        var capped = new FleetState(Space, FleetMergePolicy.Capped(2, 0));
        capped.Merge(state);
        FleetAggregate yes = FleetAggregation.Build(state, "yes", "agg1")!, no = FleetAggregation.Build(state, "no", "agg1")!;
        FleetAggregate cappedYes = FleetAggregation.Build(capped, "yes", "agg1")!;
        var receipt = new AggregateReceipt
        {
            SpaceId = Space.Id, AggregatorId = "agg1", DeviceId = "d0", Lines = [new AggregateReceiptLine("yes", yes.VersionSum, yes.DigestPrefix, 3)],
        };
        byte[][] cycle = SignedPayload.SignBatch(
            [FleetAggregateCodec.EncodeBody(yes, agg), FleetAggregateCodec.EncodeBody(no, agg), FleetAggregateCodec.EncodeBody(cappedYes, agg), AggregateReceiptCodec.EncodeBody(receipt, agg)], agg);
        var cache = new VerifiedRootCache();
        FleetAggregate[] expected = [yes, no, cappedYes];
        for (int i = 0; i < 3; i++)
        {
            Assert.True(FleetAggregateCodec.TryDecode(cycle[i], out FleetAggregate? decoded, out FleetDecodeError error), error.ToString());
            Assert.Equal(0, FleetAggregation.Compare(expected[i], decoded));
            Assert.Equal(expected[i].Policy, decoded.Policy);
            Assert.True(SignedPayload.ContentEquals(cycle[i], FleetAggregateCodec.Encode(expected[i], agg)));
            Assert.Equal(SignatureStatus.Valid, trust.VerifyPayload("agg1", cycle[i], cache));
        }
        Assert.Equal(FleetAggregateCodec.CappedFormatVersion | SignedPayload.BatchFlag, cycle[2][2]);
        Assert.True(AggregateReceiptCodec.TryDecode(cycle[3], out AggregateReceipt? r, out _));
        Assert.Equal(receipt.Lines, r.Lines);
        Assert.Equal(SignatureStatus.Valid, trust.VerifyPayload("agg1", cycle[3], cache));
        Assert.Equal(1, cache.SignatureChecks);
        // The kinds stay apart: an aggregate of the tree never decodes as a receipt or an entry.
        Assert.False(AggregateReceiptCodec.TryDecode(cycle[0], out _, out _));
        Assert.False(FleetEntryCodec.TryDecode(cycle[0], out _, out _));
        // Old single-signature aggregates and receipts still verify beside them.
        Assert.Equal(SignatureStatus.Valid, trust.VerifyPayload("agg1", FleetAggregateCodec.Encode(yes, agg), cache));
        Assert.Equal(SignatureStatus.Valid, trust.VerifyPayload("agg1", AggregateReceiptCodec.Encode(receipt, agg), cache));
    }
}
