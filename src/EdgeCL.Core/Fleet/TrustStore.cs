using System.Security.Cryptography;

namespace EdgeCL.Core.Fleet;

/// <summary>Device id → ECDSA P-256 public key: decides whose fleet entries are accepted.</summary>
/// <remarks>
/// Keys come from PEM text; reading them from files or a provisioning service is the caller's business (Core does no I/O).
/// Owns its keys: must be disposed. Safe for concurrent use (one internal lock).
/// </remarks>
public sealed class TrustStore : IDisposable
{
    private readonly Dictionary<string, ECDsa> _keys = new(StringComparer.Ordinal);
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
            if (_keys.Remove(deviceId, out ECDsa? old))
                old.Dispose();
            _keys.Add(deviceId, key);
        }
    }

    /// <summary>Stops trusting <paramref name="deviceId"/> (revocation).</summary>
    /// <returns>False when the device was not trusted.</returns>
    public bool Remove(string deviceId)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (deviceId is null || !_keys.Remove(deviceId, out ECDsa? key))
                return false;
            key.Dispose();
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
    public SignatureStatus Verify(string deviceId, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (deviceId is null || !_keys.TryGetValue(deviceId, out ECDsa? key))
                return SignatureStatus.UnknownDevice;
            if (signature.Length != FleetEntryCodec.SignatureLength)
                return SignatureStatus.Invalid;
            return key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
                ? SignatureStatus.Valid
                : SignatureStatus.Invalid;
        }
    }

    /// <summary>Checks the signature section of an encoded payload (see <see cref="FleetEntryCodec"/>) with the key of <paramref name="deviceId"/>.</summary>
    /// <remarks>Pass the device id decoded from the payload, never one taken from elsewhere, so that a device can only vouch for itself.</remarks>
    public SignatureStatus VerifyPayload(string deviceId, ReadOnlySpan<byte> payload) =>
        payload.Length < FleetEntryCodec.MinPayloadBytes
            ? (Contains(deviceId) ? SignatureStatus.Invalid : SignatureStatus.UnknownDevice)
            : Verify(deviceId, FleetEntryCodec.SignedBytes(payload), FleetEntryCodec.Signature(payload));

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            foreach (ECDsa key in _keys.Values)
                key.Dispose();
            _keys.Clear();
        }
    }
}
