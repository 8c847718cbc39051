using System.Buffers.Binary;

namespace EdgeCL.Core.Fleet.Signing;

/// <summary>
/// The signature envelope shared by every signed fleet payload (entries "EF", aggregates "EA", receipts "ER"): one
/// ECDSA signature per message, or one per batch of messages over a <see cref="MerkleTree"/>.
/// </summary>
/// <remarks>
/// <para>Every payload is a body (4-byte header, then the codec's fields) followed by a signature trailer. Bit 7 of the
/// format byte (header byte 2, <see cref="BatchFlag"/>) says which trailer follows:</para>
/// <code>
///   single (bit 7 clear): body ‖ 64 ECDSA P-256 signature (P1363) over the body
///   batch  (bit 7 set):   body ‖ k×32 path ‖ 2 leaf index (LE) ‖ 2 tree size (LE) ‖ 64 signature over the root statement
///   root statement:       "EB" ‖ 1 version (1) ‖ 2 tree size (LE) ‖ 32 root
/// </code>
/// <para>The leaf is H(0x00 ‖ body), format byte included, so a batch-signed body cannot be passed off as a single-signed
/// one or the reverse. k is <see cref="MerkleTree.PathLength"/>(index, size), so the trailer is read from the end without
/// length fields; the statement binds the size, and "EB" starts no body, so a root signature never verifies as a
/// message's. A build that predates batches reads the flagged format byte as an unsupported format version and drops
/// the message cleanly (as format 2 aggregates are refused by builds without merge policies).</para>
/// <para>The content of a message is its body with bit 7 of the format byte cleared (<see cref="ContentEquals"/>): the
/// same entry signed alone or in a batch is the same content.</para>
/// </remarks>
public static class SignedPayload
{
    /// <summary>Bit 7 of the format byte: the payload carries a batch (Merkle path) trailer.</summary>
    public const byte BatchFlag = 0x80;

    /// <summary>Most messages one batch signature covers; larger batches are signed in chunks (12 path hashes at most).</summary>
    public const int MaxBatchSize = 4096;

    /// <summary>Bytes of a batch trailer besides the path: index, size, signature.</summary>
    public const int BatchTrailerBytes = 2 + 2 + FleetEntryCodec.SignatureLength;

    /// <summary>Bytes of a root statement: "EB", version, tree size, root.</summary>
    internal const int StatementBytes = 3 + 2 + MerkleTree.HashLength;

    private const int HeaderBytes = 4;

    /// <summary>Whether the format byte of <paramref name="payload"/> announces a batch trailer.</summary>
    public static bool IsBatch(ReadOnlySpan<byte> payload) => payload.Length > 2 && (payload[2] & BatchFlag) != 0;

    /// <summary>The format version with the batch flag cleared (0 when the payload is too short to have one).</summary>
    public static byte FormatVersion(ReadOnlySpan<byte> payload) => payload.Length > 2 ? (byte)(payload[2] & ~BatchFlag) : (byte)0;

    /// <summary>Finds where the body ends; checks a batch trailer's index and size. Never throws.</summary>
    /// <param name="payload">A whole payload (its header already checked).</param>
    /// <param name="bodyLength">Bytes before the trailer.</param>
    /// <returns><see cref="FleetDecodeError.None"/>, <see cref="FleetDecodeError.Truncated"/>, or <see cref="FleetDecodeError.BadBatchProof"/>.</returns>
    public static FleetDecodeError TrySplit(ReadOnlySpan<byte> payload, out int bodyLength)
    {
        bodyLength = 0;
        if (!IsBatch(payload))
        {
            if (payload.Length < HeaderBytes + FleetEntryCodec.SignatureLength)
                return FleetDecodeError.Truncated;
            bodyLength = payload.Length - FleetEntryCodec.SignatureLength;
            return FleetDecodeError.None;
        }
        if (payload.Length < HeaderBytes + BatchTrailerBytes)
            return FleetDecodeError.Truncated;
        (int index, int size) = ReadProof(payload);
        if (size is 0 or > MaxBatchSize || index >= size)
            return FleetDecodeError.BadBatchProof;
        long rest = payload.Length - BatchTrailerBytes - ((long)MerkleTree.PathLength(index, size) * MerkleTree.HashLength);
        if (rest < HeaderBytes)
            return FleetDecodeError.Truncated;
        bodyLength = (int)rest;
        return FleetDecodeError.None;
    }

    /// <summary>Signs one body alone: the single-signature format.</summary>
    /// <param name="body">The body (header with bit 7 clear, then the fields).</param>
    /// <param name="signer">The writer's key.</param>
    public static byte[] Sign(ReadOnlySpan<byte> body, EntrySigner signer)
    {
        ArgumentNullException.ThrowIfNull(signer);
        byte[] payload = new byte[body.Length + FleetEntryCodec.SignatureLength];
        body.CopyTo(payload);
        payload[2] &= unchecked((byte)~BatchFlag);
        signer.Sign(payload.AsSpan(0, body.Length), payload.AsSpan(body.Length));
        return payload;
    }

    /// <summary>
    /// Signs several bodies with one signature per <see cref="MaxBatchSize"/> of them: sets the batch flag in each body
    /// (the bodies are modified), builds the tree, signs its root, and appends each message's path. A batch of one is
    /// signed alone (<see cref="Sign"/>).
    /// </summary>
    /// <returns>The payloads, in the order of <paramref name="bodies"/>.</returns>
    public static byte[][] SignBatch(IReadOnlyList<byte[]> bodies, EntrySigner signer)
    {
        ArgumentNullException.ThrowIfNull(bodies);
        ArgumentNullException.ThrowIfNull(signer);
        var payloads = new byte[bodies.Count][];
        for (int start = 0; start < bodies.Count; start += MaxBatchSize)
            SignChunk(bodies, start, Math.Min(MaxBatchSize, bodies.Count - start), signer, payloads);
        return payloads;
    }

    /// <summary>
    /// Checks the signature of <paramref name="payload"/> with <paramref name="signerId"/>'s key. A batch-signed payload
    /// costs an ECDSA verification only when its root (with this signature, for this key) is not in <paramref name="cache"/>.
    /// </summary>
    /// <remarks>Pass the signer id decoded from the payload, never one from elsewhere. Never throws on bad input.</remarks>
    public static SignatureStatus Verify(TrustStore trust, string signerId, ReadOnlySpan<byte> payload, VerifiedRootCache? cache = null)
    {
        ArgumentNullException.ThrowIfNull(trust);
        if (TrySplit(payload, out int bodyLength) != FleetDecodeError.None)
            return trust.Contains(signerId) ? SignatureStatus.Invalid : SignatureStatus.UnknownDevice;
        ReadOnlySpan<byte> body = payload[..bodyLength];
        ReadOnlySpan<byte> signature = payload[^FleetEntryCodec.SignatureLength..];
        if (!IsBatch(payload))
            return trust.Verify(signerId, body, signature, cache);
        (int index, int size) = ReadProof(payload);
        Span<byte> leaf = stackalloc byte[MerkleTree.HashLength];
        MerkleTree.LeafHash(body, leaf);
        return trust.VerifyBatchMessage(signerId, leaf, index, size, payload[bodyLength..^BatchTrailerBytes], signature, cache);
    }

    /// <summary>Whether two payloads carry the same content: equal bodies up to the batch flag, whatever their signatures.</summary>
    /// <remarks>Payloads that do not split compare by their bytes.</remarks>
    public static bool ContentEquals(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (TrySplit(a, out int aLength) != FleetDecodeError.None || TrySplit(b, out int bLength) != FleetDecodeError.None)
            return a.SequenceEqual(b);
        return aLength == bLength && a[..2].SequenceEqual(b[..2]) && FormatVersion(a) == FormatVersion(b)
            && a[3..aLength].SequenceEqual(b[3..bLength]);
    }

    /// <summary>The bytes the signature of <paramref name="payload"/> covers (the body, or the root statement); null when it does not split. For re-signing in tests and fuzzing.</summary>
    public static byte[]? SignedData(ReadOnlySpan<byte> payload)
    {
        if (TrySplit(payload, out int bodyLength) != FleetDecodeError.None)
            return null;
        if (!IsBatch(payload))
            return payload[..bodyLength].ToArray();
        (int index, int size) = ReadProof(payload);
        byte[] statement = new byte[StatementBytes];
        Span<byte> leaf = stackalloc byte[MerkleTree.HashLength];
        MerkleTree.LeafHash(payload[..bodyLength], leaf);
        MerkleTree.ComputeRoot(leaf, index, size, payload[bodyLength..^BatchTrailerBytes], statement.AsSpan(5));
        WriteStatementHeader(statement, size);
        return statement;
    }

    private static void SignChunk(IReadOnlyList<byte[]> bodies, int start, int count, EntrySigner signer, byte[][] payloads)
    {
        if (count == 1)
        {
            payloads[start] = Sign(bodies[start], signer);
            return;
        }
        var leaves = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            byte[] body = bodies[start + i];
            if (body.Length < HeaderBytes)
                throw new ArgumentException($"Body {start + i} has {body.Length} bytes; a body starts with a 4-byte header.", nameof(bodies));
            body[2] |= BatchFlag;
            leaves[i] = new byte[MerkleTree.HashLength];
            MerkleTree.LeafHash(body, leaves[i]);
        }
        (byte[] root, byte[][] paths) = MerkleTree.Build(leaves);
        Span<byte> statement = stackalloc byte[StatementBytes];
        WriteStatement(statement, count, root);
        byte[] signature = new byte[FleetEntryCodec.SignatureLength];
        signer.Sign(statement, signature);
        for (int i = 0; i < count; i++)
        {
            byte[] body = bodies[start + i];
            byte[] payload = new byte[body.Length + paths[i].Length + BatchTrailerBytes];
            body.CopyTo(payload, 0);
            paths[i].CopyTo(payload, body.Length);
            int p = body.Length + paths[i].Length;
            BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(p), (ushort)i);
            BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(p + 2), (ushort)count);
            signature.CopyTo(payload, p + 4);
            payloads[start + i] = payload;
        }
    }

    private static (int Index, int Size) ReadProof(ReadOnlySpan<byte> payload)
    {
        ReadOnlySpan<byte> proof = payload[^BatchTrailerBytes..];
        return (BinaryPrimitives.ReadUInt16LittleEndian(proof), BinaryPrimitives.ReadUInt16LittleEndian(proof[2..]));
    }

    /// <summary>Writes the root statement a batch signature covers.</summary>
    internal static void WriteStatement(Span<byte> statement, int size, ReadOnlySpan<byte> root)
    {
        WriteStatementHeader(statement, size);
        root.CopyTo(statement[5..]);
    }

    private static void WriteStatementHeader(Span<byte> statement, int size)
    {
        statement[0] = (byte)'E';
        statement[1] = (byte)'B';
        statement[2] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(statement[3..], (ushort)size);
    }
}
