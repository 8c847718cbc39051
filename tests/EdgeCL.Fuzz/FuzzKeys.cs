using EdgeCL.Core.Fleet;

namespace EdgeCL.Fuzz;

/// <summary>
/// Fixed P-256 keys made for the harness only (never a real device's): fixed so the seed corpus stays validly signed
/// from run to run. Targets re-sign mutated inputs with them so the fuzzer reaches the code behind the signature check.
/// </summary>
internal static class FuzzKeys
{
    public const string DeviceId = "pi-01";

    /// <summary>The device whose view the fleet-aggregate target fills (receipts are addressed to it).</summary>
    public const string ViewerId = "pi-00";
    public const string OperatorId = "ops";
    public const string Fleet = "fuzz";
    public const string SpaceId = "5eed";
    public const int Dimension = 8;

    private const string DevicePem = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgvqCONazOB8PYBG+s
        bek71/nkMlvdfdrtL2NLH40v07ahRANCAARSxmiCSPsjmdthNwX4GY/SccFBmIvG
        /01pIacjRYujZuc/u1tTHzdmP2imCuq0C8ifzNKZh2PWxSUcI2SWKATo
        -----END PRIVATE KEY-----
        """;

    private const string OperatorPem = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgtLpMG6jkyTcnB9i1
        smenci078amMmO3TVd32lPKqcDGhRANCAASO8glIxv/Sq/GAH6uXMHLZLMdDX8P1
        63/UIgED+vcBF0aneF8Tf3IiZwH6GO5j6kbsw6Uc05+j2xQJwyvtV9hN
        -----END PRIVATE KEY-----
        """;

    public static EntrySigner Device() => EntrySigner.FromPem(DeviceId, DevicePem);

    public static EntrySigner Operator() => EntrySigner.FromPem(OperatorId, OperatorPem);

    /// <summary>A trust store holding the public half of <paramref name="signer"/>.</summary>
    public static TrustStore Trusting(EntrySigner signer)
    {
        var trust = new TrustStore();
        trust.Add(signer.DeviceId, signer.ExportPublicKeyPem());
        return trust;
    }
}
