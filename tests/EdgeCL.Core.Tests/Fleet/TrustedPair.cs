using EdgeCL.Core.Fleet;

namespace EdgeCL.Core.Tests.Fleet;

/// <summary>Two device keys, "alice" and "bob", and a trust store that holds both public keys.</summary>
internal sealed class TrustedPair : IDisposable
{
    public TrustedPair()
    {
        Trust.Add("alice", Alice.ExportPublicKeyPem());
        Trust.Add("bob", Bob.ExportPublicKeyPem());
    }

    public EntrySigner Alice { get; } = EntrySigner.Create("alice");

    public EntrySigner Bob { get; } = EntrySigner.Create("bob");

    public TrustStore Trust { get; } = new();

    public void Dispose()
    {
        Alice.Dispose();
        Bob.Dispose();
        Trust.Dispose();
    }
}
