using System.Security.Cryptography;

namespace EdgeCL.Core.Fleet;

/// <summary>PEM import restricted to ECDSA keys on NIST P-256.</summary>
internal static class P256
{
    private const string Oid = "1.2.840.10045.3.1.7"; // prime256v1 / secp256r1

    public static ECDsa Import(string pem, string what, bool requirePrivate)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new ArgumentException($"PEM of {what} is not an EC key ({FirstLine(ex.Message)}); expected a P-256 key made with 'openssl ecparam -name prime256v1 -genkey'.", nameof(pem));
        }
        try
        {
            ECParameters parameters = key.ExportParameters(includePrivateParameters: false);
            if (key.KeySize != 256 || parameters.Curve.Oid?.Value != Oid)
                throw new ArgumentException(
                    $"PEM of {what} is a {key.KeySize}-bit key on curve '{parameters.Curve.Oid?.FriendlyName ?? parameters.Curve.Oid?.Value ?? "explicit"}'; fleet entries use P-256 (prime256v1).", nameof(pem));
            if (requirePrivate && !HasPrivateKey(key))
                throw new ArgumentException($"PEM of {what} holds only a public key; pass the device's private key.", nameof(pem));
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static bool HasPrivateKey(ECDsa key)
    {
        try
        {
            return key.ExportParameters(includePrivateParameters: true).D is { Length: > 0 };
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static string FirstLine(string message)
    {
        int newline = message.AsSpan().IndexOfAny('\r', '\n');
        return newline < 0 ? message : message[..newline];
    }
}
