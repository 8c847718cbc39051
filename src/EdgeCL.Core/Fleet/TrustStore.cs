using System.Security.Cryptography;
using EdgeCL.Core.Fleet.Signing;

namespace EdgeCL.Core.Fleet;

/// <summary>Device id → ECDSA P-256 public key: decides whose fleet entries are accepted.</summary>
/// <remarks>
/// Keys come from PEM text; reading them from files or a provisioning service is the caller's business (Core does no I/O).
/// Owns its keys: must be disposed. Safe for concurrent use (one internal lock).
/// </remarks>
public sealed class TrustStore : IDisposable
{
    // Every key loaded anywhere gets a new stamp: the identity a VerifiedRootCache files its roots under.
    private static long s_nextStamp;
    private readonly Dictionary<string, (ECDsa Key, long Stamp)> _keys = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private bool _disposed;

    /// <summary>Number of trusted devices.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
                return _keys.Count;
        }
    }

    /// <summary>The trusted ids, in ordinal order.</summary>
    public IReadOnlyList<string> Ids
    {
        get
        {
            lock (_gate)
                return [.. _keys.Keys.Order(StringComparer.Ordinal)];
        }
    }

    /// <summary>Trusts <paramref name="deviceId"/> with this public key, replacing any earlier key (key rotation).</summary>
    /// <param name="deviceId">The device.</param>
    /// <param name="publicKeyPem">"PUBLIC KEY" (SubjectPublicKeyInfo) PEM; a private-key PEM also works and only its public half is used.</param>
    /// <exception cref="ArgumentException">The device id is invalid, or the PEM is not a P-256 key.</exception>
    public void Add(string deviceId, string publicKeyPem)
    {
        FleetLimits.EnsureValidDeviceId(deviceId);
        ArgumentNullException.ThrowIfNull(publicKeyPem);
        ECDsa key = P256.Import(publicKeyPem, $"the public key of device '{deviceId}'", requirePrivate: false);
        lock (_gate)
        {
            if (_disposed)
            {
                key.Dispose();
                ObjectDisposedException.ThrowIf(true, this);
            }
            if (_keys.Remove(deviceId, out var old))
                old.Key.Dispose();
            _keys.Add(deviceId, (key, Interlocked.Increment(ref s_nextStamp)));
        }
    }

    /// <summary>Stops trusting <paramref name="deviceId"/> (revocation).</summary>
    /// <returns>False when the device was not trusted.</returns>
    public bool Remove(string deviceId)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (deviceId is null || !_keys.Remove(deviceId, out var held))
                return false;
            held.Key.Dispose();
            return true;
        }
    }

    /// <summary>Whether a key is held for <paramref name="deviceId"/>.</summary>
    public bool Contains(string deviceId)
    {
        lock (_gate)
            return deviceId is not null && _keys.ContainsKey(deviceId);
    }

    /// <summary>Checks a P1363 signature over <paramref name="data"/> with the key of <paramref name="deviceId"/>.</summary>
    public SignatureStatus Verify(string deviceId, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) => Verify(deviceId, data, signature, null);

    // As the public overload, counting the ECDSA verification in the receiver's cache (SignedPayload's single-signature path).
    internal SignatureStatus Verify(string deviceId, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, VerifiedRootCache? counter)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (deviceId is null || !_keys.TryGetValue(deviceId, out var held))
                return SignatureStatus.UnknownDevice;
            if (signature.Length != FleetEntryCodec.SignatureLength)
                return SignatureStatus.Invalid;
            counter?.CountSignatureCheck();
            return held.Key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
                ? SignatureStatus.Valid
                : SignatureStatus.Invalid;
        }
    }

    /// <summary>
    /// Checks a batch-signed message from its leaf hash and Merkle path (<see cref="SignedPayload"/>): valid at once when
    /// <paramref name="cache"/>'s last verified path proves it or its root statement (with this signature, for this key)
    /// is held there; else the root is verified with ECDSA and, when valid, remembered there.
    /// </summary>
    internal SignatureStatus VerifyBatchMessage(string deviceId, ReadOnlySpan<byte> leaf, int index, int size, ReadOnlySpan<byte> path,
        ReadOnlySpan<byte> signature, VerifiedRootCache? cache)
    {
        if (signature.Length != FleetEntryCodec.SignatureLength)
            return Contains(deviceId) ? SignatureStatus.Invalid : SignatureStatus.UnknownDevice;
        Span<byte> nodes = stackalloc byte[VerifiedPath.NodeBytes];
        Span<byte> statement = stackalloc byte[SignedPayload.StatementBytes];
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (deviceId is null || !_keys.TryGetValue(deviceId, out var held))
                return SignatureStatus.UnknownDevice;
            int top = 0;
            if (cache is null)
                MerkleTree.ComputeRoot(leaf, index, size, path, nodes[..MerkleTree.HashLength]);
            else if (cache.TryReusePath(held.Stamp, leaf, index, size, path, signature, nodes, out top))
                return SignatureStatus.Valid;
            SignedPayload.WriteStatement(statement, size, nodes.Slice(top * MerkleTree.HashLength, MerkleTree.HashLength));
            if (cache is not null && cache.Contains(held.Stamp, statement, signature))
            {
                cache.RememberPath(held.Stamp, index, size, path, signature, nodes, top);
                return SignatureStatus.Valid;
            }
            cache?.CountSignatureCheck();
            if (!held.Key.VerifyData(statement, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
                return SignatureStatus.Invalid;
            cache?.Add(held.Stamp, statement, signature);
            cache?.RememberPath(held.Stamp, index, size, path, signature, nodes, top);
            return SignatureStatus.Valid;
        }
    }

    /// <summary>Checks the signature of an encoded payload (entry, aggregate or receipt; single or batch-signed, see <see cref="SignedPayload"/>) with the key of <paramref name="deviceId"/>.</summary>
    /// <remarks>Pass the signer id decoded from the payload, never one taken from elsewhere, so that a device can only vouch for itself.</remarks>
    /// <param name="deviceId">The signer named in the payload.</param>
    /// <param name="payload">The whole payload.</param>
    /// <param name="cache">Batch roots this receiver already verified, and its count of ECDSA checks; none when null.</param>
    public SignatureStatus VerifyPayload(string deviceId, ReadOnlySpan<byte> payload, VerifiedRootCache? cache = null) =>
        SignedPayload.Verify(this, deviceId, payload, cache);

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            foreach ((ECDsa key, _) in _keys.Values)
                key.Dispose();
            _keys.Clear();
        }
    }
}
