using System.Collections.Concurrent;
using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Payloads;
using EdgeCL.Sync.Tests.Brokers;

namespace EdgeCL.Sync.Tests.Integration;

/// <summary>One signing key per test user, and codecs that trust every test user.</summary>
public static class TestKeys
{
    private static readonly ConcurrentDictionary<string, EntrySigner> s_signers = new(StringComparer.Ordinal);

    public static EntrySigner Signer(string device) => s_signers.GetOrAdd(device, EntrySigner.Create);

    /// <summary>A fresh trust store with every test device's public key (one per codec: verification is not shared across threads).</summary>
    public static TrustStore TrustAll()
    {
        var trust = new TrustStore();
        foreach (string d in TestUsers.Devices)
            trust.Add(d, Signer(d).ExportPublicKeyPem());
        return trust;
    }

    /// <summary>The test operator's command-signing key.</summary>
    public static EntrySigner Operator => Signer("operator-key");

    /// <summary>A fresh store with the test operator's public key: what a device's trust_dir/operators holds.</summary>
    public static TrustStore Operators()
    {
        var operators = new TrustStore();
        operators.Add(Operator.DeviceId, Operator.ExportPublicKeyPem());
        return operators;
    }

    public static SignedEntryCodec Codec(string device, FleetVectorType vectorType = FleetVectorType.Float32) =>
        new(Signer(device), TrustAll(), vectorType);
}
