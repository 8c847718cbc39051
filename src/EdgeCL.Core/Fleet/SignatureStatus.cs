namespace EdgeCL.Core.Fleet;

/// <summary>Result of checking an entry's signature against a <see cref="TrustStore"/>.</summary>
public enum SignatureStatus
{
    /// <summary>The signature verifies with the device's public key.</summary>
    Valid,

    /// <summary>The trust store holds no key for the device.</summary>
    UnknownDevice,

    /// <summary>The signature is malformed or does not verify.</summary>
    Invalid,
}
