using System.Diagnostics.CodeAnalysis;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Fleet.Signing;

namespace EdgeCL.Sync.Payloads;

/// <summary>The production codec: EdgeCL.Core's signed <see cref="FleetEntryCodec"/> format, verified against a <see cref="TrustStore"/>.</summary>
/// <remarks>
/// Own entries are signed with <see cref="Signer"/>; received ones must verify with the public key the trust store holds
/// for the device named in the payload, so neither the broker nor another device can forge a contribution (design.md §3,
/// Trust). A payload from a device the trust store does not know counts as <see cref="SyncDropReason.Unsigned"/>, a bad
/// signature as <see cref="SyncDropReason.Forged"/>. Batch-signed entries (a device's flush signed once, see
/// <see cref="SignedPayload"/>) cost one ECDSA verification per batch: the codec keeps the roots it verified in
/// <see cref="Roots"/>. Thread-safe as long as the trust store is not changed concurrently.
/// </remarks>
public sealed class SignedEntryCodec : IFleetEntryCodec
{
    /// <summary>Creates a codec for one device.</summary>
    /// <param name="signer">This device's key (not owned; dispose it after the codec's last use).</param>
    /// <param name="trustStore">Public keys of every device whose entries are accepted, this one's included (not owned).</param>
    /// <param name="vectorType">How own means are written: <see cref="FleetVectorType.Float16"/> halves the bytes.</param>
    /// <param name="rootCacheCapacity">Verified batch roots kept (<see cref="VerifiedRootCache"/>); an aggregator wants about one per device.</param>
    public SignedEntryCodec(EntrySigner signer, TrustStore trustStore, FleetVectorType vectorType = FleetVectorType.Float32, int rootCacheCapacity = VerifiedRootCache.DefaultCapacity)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(trustStore);
        if (vectorType is not (FleetVectorType.Float32 or FleetVectorType.Float16))
            throw new ArgumentOutOfRangeException(nameof(vectorType), vectorType, "Use Float32 or Float16.");
        Signer = signer;
        TrustStore = trustStore;
        VectorType = vectorType;
        Roots = new VerifiedRootCache(rootCacheCapacity);
    }

    /// <summary>This device's signing key.</summary>
    public EntrySigner Signer { get; }

    /// <summary>The accepted devices' public keys.</summary>
    public TrustStore TrustStore { get; }

    /// <summary>How own means are written.</summary>
    public FleetVectorType VectorType { get; }

    /// <summary>The batch roots this codec verified, and its count of ECDSA verifications.</summary>
    public VerifiedRootCache Roots { get; }

    /// <inheritdoc/>
    public byte[] Encode(FleetEntry entry) => FleetEntryCodec.Encode(entry, VectorType, Signer);

    /// <inheritdoc/>
    public IReadOnlyList<byte[]> EncodeBatch(IReadOnlyList<FleetEntry> entries) => FleetEntryCodec.EncodeBatch(entries, VectorType, Signer);

    /// <inheritdoc/>
    public bool TryDecode(ReadOnlySpan<byte> payload, [NotNullWhen(true)] out FleetEntry? entry, out SyncDropReason reason)
    {
        if (!FleetEntryCodec.TryDecode(payload, out entry, out FleetDecodeError error))
        {
            reason = error == FleetDecodeError.TooLarge ? SyncDropReason.Oversized : SyncDropReason.Malformed;
            return false;
        }
        switch (TrustStore.VerifyPayload(entry.DeviceId, payload, Roots))
        {
            case SignatureStatus.Valid:
                reason = default;
                return true;
            case SignatureStatus.UnknownDevice:
                reason = SyncDropReason.Unsigned;
                break;
            default:
                reason = SyncDropReason.Forged;
                break;
        }
        entry = null;
        return false;
    }
}
