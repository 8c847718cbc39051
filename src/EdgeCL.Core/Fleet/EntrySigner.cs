using System.Security.Cryptography;

namespace EdgeCL.Core.Fleet;

/// <summary>A device's ECDSA P-256 private key, used to sign its own fleet entries.</summary>
/// <remarks>
/// Signatures are ECDSA over SHA-256 in IEEE P1363 form (r ‖ s, 64 bytes), made with the BCL
/// (<see cref="ECDsa"/>; OpenSSL on Linux). ECDSA picks a fresh nonce per signature, so signing the same bytes twice
/// gives different, equally valid signatures. Owns its key: must be disposed. Safe for concurrent use: calls are
/// serialised internally because the BCL does not promise thread-safety for one key object.
/// </remarks>
public sealed class EntrySigner : IDisposable
{
    private readonly ECDsa _key;
    private readonly Lock _gate = new();
    private bool _disposed;
    private long _signatures;

    private EntrySigner(string deviceId, ECDsa key)
    {
        DeviceId = deviceId;
        _key = key;
    }

    /// <summary>The device whose entries this key signs.</summary>
    public string DeviceId { get; }

    /// <summary>ECDSA signatures made with this key so far (a batch of messages costs one, see <see cref="Signing.SignedPayload"/>).</summary>
    public long SignatureCount => Interlocked.Read(ref _signatures);

    /// <summary>Creates a signer with a fresh P-256 key (provisioning and tests).</summary>
    /// <exception cref="ArgumentException">The device id is invalid.</exception>
    public static EntrySigner Create(string deviceId)
    {
        FleetLimits.EnsureValidDeviceId(deviceId);
        return new EntrySigner(deviceId, ECDsa.Create(ECCurve.NamedCurves.nistP256));
    }

    /// <summary>Loads a signer from a PEM private key ("EC PRIVATE KEY" or PKCS#8 "PRIVATE KEY").</summary>
    /// <exception cref="ArgumentException">The device id is invalid, the PEM holds no private key, or the key is not P-256.</exception>
    public static EntrySigner FromPem(string deviceId, string privateKeyPem)
    {
        FleetLimits.EnsureValidDeviceId(deviceId);
        ArgumentNullException.ThrowIfNull(privateKeyPem);
        ECDsa key = P256.Import(privateKeyPem, $"the private key of device '{deviceId}'", requirePrivate: true);
        return new EntrySigner(deviceId, key);
    }

    /// <summary>Signs <paramref name="data"/> into <paramref name="signature"/> (exactly <see cref="FleetEntryCodec.SignatureLength"/> bytes).</summary>
    /// <exception cref="ArgumentException"><paramref name="signature"/> has the wrong length.</exception>
    /// <exception cref="ObjectDisposedException">The signer was disposed.</exception>
    public void Sign(ReadOnlySpan<byte> data, Span<byte> signature)
    {
        if (signature.Length != FleetEntryCodec.SignatureLength)
            throw new ArgumentException($"The signature buffer has {signature.Length} bytes; it must have {FleetEntryCodec.SignatureLength}.", nameof(signature));
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_key.TrySignData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation, out int written)
                || written != FleetEntryCodec.SignatureLength)
                throw new CryptographicException($"ECDSA P-256 signing produced {written} bytes instead of {FleetEntryCodec.SignatureLength}; the key is unusable.");
            _signatures++;
        }
    }

    /// <summary>The public key as PEM ("PUBLIC KEY", SubjectPublicKeyInfo), to put in every peer's <see cref="TrustStore"/>.</summary>
    public string ExportPublicKeyPem()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _key.ExportSubjectPublicKeyInfoPem();
        }
    }

    /// <summary>The private key as PEM (PKCS#8 "PRIVATE KEY"), for provisioning; store it readable by the device only.</summary>
    public string ExportPrivateKeyPem()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _key.ExportPkcs8PrivateKeyPem();
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            _key.Dispose();
        }
    }
}
