using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace EdgeCL.Web.Security;

/// <summary>Page passwords stored as <c>pbkdf2-sha256$ITERATIONS$SALT$HASH</c> (base64): the config never holds a clear password.</summary>
public static class PasswordHash
{
    /// <summary>The scheme prefix.</summary>
    public const string Scheme = "pbkdf2-sha256";

    private const int DefaultIterations = 210_000; // OWASP's figure for PBKDF2-HMAC-SHA256

    /// <summary>A new hash of <paramref name="password"/> with a random salt.</summary>
    public static string Create(string password, int iterations = DefaultIterations)
    {
        byte[] salt = RandomNumberGenerator.GetBytes(16);
        byte[] hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, 32);
        return string.Create(CultureInfo.InvariantCulture, $"{Scheme}${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    /// <summary>Why <paramref name="stored"/> is not a usable hash, or null.</summary>
    public static string? Problem(string? stored) => TryParse(stored, out _, out _, out _) ? null
        : $"is not a '{Scheme}$ITERATIONS$SALT$HASH' password hash; make one with 'edgecl hash-password'";

    /// <summary>Whether <paramref name="password"/> matches <paramref name="stored"/> (constant-time comparison).</summary>
    public static bool Verify(string password, string stored)
    {
        if (!TryParse(stored, out int iterations, out byte[] salt, out byte[] expected))
            return false;
        byte[] actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static bool TryParse(string? stored, out int iterations, out byte[] salt, out byte[] hash)
    {
        iterations = 0;
        salt = hash = [];
        string[] parts = (stored ?? "").Split('$');
        if (parts.Length != 4 || parts[0] != Scheme || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out iterations) || iterations is < 10_000 or > 10_000_000)
            return false;
        try
        {
            salt = Convert.FromBase64String(parts[2]);
            hash = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            return false;
        }
        return salt.Length >= 8 && hash.Length >= 16;
    }
}
