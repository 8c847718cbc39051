using System.Security.Cryptography;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Fleet.Signing;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Core.Tests.Fleet;

public sealed class SigningTests : IDisposable
{
    private static readonly EmbeddingSpace Space = new("0123456789abcdef", 4);
    private readonly EntrySigner _alice = EntrySigner.Create("alice");
    private readonly EntrySigner _bob = EntrySigner.Create("bob");
    private readonly TrustStore _trust = new();

    public SigningTests()
    {
        _trust.Add("alice", _alice.ExportPublicKeyPem());
        _trust.Add("bob", _bob.ExportPublicKeyPem());
    }

    public void Dispose()
    {
        _alice.Dispose();
        _bob.Dispose();
        _trust.Dispose();
    }

    private static FleetEntry Entry(string device) => new()
    {
        SpaceId = Space.Id, DeviceId = device, Label = "yes", Version = 3, Count = 2, Mean = [0.5f, -0.5f, 0.25f, 1f],
    };

    [Fact]
    public void Receive_SignedByOwner_Applied()
    {
        var state = new FleetState(Space);
        FleetReceipt r = state.Receive(FleetEntryCodec.Encode(Entry("alice"), FleetVectorType.Float16, _alice), _trust);
        Assert.Equal(FleetMergeOutcome.Applied, r.Outcome);
        Assert.True(r.ShouldPersist);
        Assert.Equal("alice", r.Entry!.DeviceId);
    }

    [Fact]
    public void Receive_SignatureFlipped_BadSignatureAndUntouched()
    {
        var state = new FleetState(Space);
        byte[] p = FleetEntryCodec.Encode(Entry("alice"), FleetVectorType.Float32, _alice);
        p[^1] ^= 1;
        Assert.Equal(FleetMergeOutcome.BadSignature, state.Receive(p, _trust).Outcome);
        Assert.Equal(0, state.EntryCount);
    }

    [Fact]
    public void Receive_BodyTamperedAfterSigning_BadSignature()
    {
        var state = new FleetState(Space);
        byte[] p = FleetEntryCodec.Encode(Entry("alice"), FleetVectorType.Float32, _alice);
        p[^65] ^= 0x01; // last mantissa bit of the last element: still a valid, finite payload
        Assert.Equal(FleetMergeOutcome.BadSignature, state.Receive(p, _trust).Outcome);
    }

    [Fact]
    public void Receive_BobsPayloadRelabelledAsAlice_BadSignature()
    {
        // Bob cannot forge Alice's contribution: the device id is inside the signed bytes and picks the key.
        byte[] bobs = FleetEntryCodec.Encode(Entry("bob"), FleetVectorType.Float32, _bob);
        byte[] forged = [.. bobs[..13], 5, .. "alice"u8, .. bobs[(14 + 3)..]];
        var state = new FleetState(Space);
        Assert.Equal(FleetMergeOutcome.BadSignature, state.Receive(forged, _trust).Outcome);
    }

    [Fact]
    public void Receive_UnknownDevice_UnknownDeviceOutcome()
    {
        using EntrySigner mallory = EntrySigner.Create("mallory");
        var state = new FleetState(Space);
        Assert.Equal(FleetMergeOutcome.UnknownDevice, state.Receive(FleetEntryCodec.Encode(Entry("mallory"), FleetVectorType.Float32, mallory), _trust).Outcome);
    }

    [Fact]
    public void Receive_WrongSpace_WrongSpaceBeforeSignature()
    {
        var state = new FleetState(new EmbeddingSpace("ffff", 4));
        Assert.Equal(FleetMergeOutcome.WrongSpace, state.Receive(FleetEntryCodec.Encode(Entry("alice"), FleetVectorType.Float32, _alice), _trust).Outcome);
    }

    [Fact]
    public void Receive_WrongDimension_Invalid()
    {
        var state = new FleetState(Space with { Dimension = 5 });
        Assert.Equal(FleetMergeOutcome.Invalid, state.Receive(FleetEntryCodec.Encode(Entry("alice"), FleetVectorType.Float32, _alice), _trust).Outcome);
    }

    [Fact]
    public void Receive_Garbage_MalformedWithReason()
    {
        var state = new FleetState(Space);
        FleetReceipt r = state.Receive("hello"u8, _trust);
        Assert.Equal(FleetMergeOutcome.Malformed, r.Outcome);
        Assert.Equal(FleetDecodeError.BadMagic, r.DecodeError);
    }

    [Fact]
    public void Receive_KeyRevoked_UnknownDevice()
    {
        byte[] p = FleetEntryCodec.Encode(Entry("alice"), FleetVectorType.Float32, _alice);
        Assert.True(_trust.Remove("alice"));
        Assert.Equal(FleetMergeOutcome.UnknownDevice, new FleetState(Space).Receive(p, _trust).Outcome);
    }

    [Fact]
    public void FromPem_ExportedPrivateKey_SignsVerifiably()
    {
        using EntrySigner again = EntrySigner.FromPem("alice", _alice.ExportPrivateKeyPem());
        byte[] p = FleetEntryCodec.Encode(Entry("alice"), FleetVectorType.Float32, again);
        Assert.Equal(SignatureStatus.Valid, _trust.VerifyPayload("alice", p));
    }

    [Fact]
    public void FromPem_OpenSslSec1Key_Loads()
    {
        // 'openssl ecparam -name prime256v1 -genkey' writes SEC1 "EC PRIVATE KEY".
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using EntrySigner signer = EntrySigner.FromPem("carol", key.ExportECPrivateKeyPem());
        _trust.Add("carol", key.ExportSubjectPublicKeyInfoPem());
        Assert.Equal(SignatureStatus.Valid, _trust.VerifyPayload("carol", FleetEntryCodec.Encode(Entry("carol"), FleetVectorType.Float32, signer)));
    }

    [Fact]
    public void FromPem_PublicKeyOnly_ThrowsSayingPassPrivateKey()
    {
        var ex = Assert.Throws<ArgumentException>(() => EntrySigner.FromPem("alice", _alice.ExportPublicKeyPem()));
        Assert.Contains("private key", ex.Message);
    }

    [Fact]
    public void Add_P384Key_ThrowsNamingP256()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var ex = Assert.Throws<ArgumentException>(() => _trust.Add("dave", key.ExportSubjectPublicKeyInfoPem()));
        Assert.Contains("P-256", ex.Message);
    }

    [Fact]
    public void Add_RsaKey_Throws()
    {
        using var rsa = RSA.Create(2048);
        Assert.Throws<ArgumentException>(() => _trust.Add("dave", rsa.ExportSubjectPublicKeyInfoPem()));
    }

    [Fact]
    public void Add_NotPem_ThrowsOneLine()
    {
        var ex = Assert.Throws<ArgumentException>(() => _trust.Add("dave", "not a key"));
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Create_InvalidDeviceId_Throws()
    {
        Assert.Throws<ArgumentException>(() => EntrySigner.Create("a/b"));
        Assert.Throws<ArgumentException>(() => EntrySigner.Create(new string('a', 65)));
    }

    [Fact]
    public void Sign_SameBytesTwice_DifferentSignaturesBothValid()
    {
        byte[] a = FleetEntryCodec.Encode(Entry("alice"), FleetVectorType.Float32, _alice);
        byte[] b = FleetEntryCodec.Encode(Entry("alice"), FleetVectorType.Float32, _alice);
        Assert.True(SignedPayload.ContentEquals(a, b));
        Assert.Equal(SignatureStatus.Valid, _trust.VerifyPayload("alice", a));
        Assert.Equal(SignatureStatus.Valid, _trust.VerifyPayload("alice", b));
    }
}
