using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace EdgeCL.Core.Security;

/// <summary>Salted password hashes, PBKDF2-HMAC-SHA256 from the BCL: the embedded broker's users file and the device
/// page's users hold these, never a clear password.</summary>
/// <remarks>
/// Stored form (no <c>:</c>, so it fits a broker <c>name:hash[:operator]</c> line): <c>pbkdf2-sha256$ITERATIONS$SALT$HASH</c>,
/// salt (16 bytes) and hash (32 bytes) in base64. A stolen file then costs an attacker a PBKDF2 run per guess, not a lookup.
/// </remarks>
public static class PasswordHash
{
    /// <summary>The prefix of every stored hash.</summary>
    public const string Scheme = "pbkdf2-sha256";

    /// <summary>Fewest iterations a stored hash may have (tests use this many to stay fast).</summary>
    public const int MinIterations = 10_000;

    /// <summary>Iterations of new hashes: OWASP's figure for PBKDF2-HMAC-SHA256.</summary>
    public const int DefaultIterations = 210_000;

    private const int MaxIterations = 10_000_000;
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    /// <summary>Hashes <paramref name="password"/> with a fresh random salt.</summary>
    /// <exception cref="ArgumentException">The password is empty or the iterations are out of range.</exception>
    public static string Hash(string password, int iterations = DefaultIterations)
    {
        ArgumentException.ThrowIfNullOrEmpty(password);
        if (iterations is < MinIterations or > MaxIterations)
            throw new ArgumentException($"{iterations} PBKDF2 iterations are out of range {MinIterations}..{MaxIterations}.", nameof(iterations));
        byte[] salt = RandomNumberGenerator.GetBytes(SaltBytes);
        byte[] hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Create(CultureInfo.InvariantCulture, $"{Scheme}${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    /// <summary>Whether <paramref name="stored"/> is a well-formed hash of this scheme.</summary>
    public static bool IsHash(string? stored) => TryParse(stored, out _, out _, out _);

    /// <summary>Why <paramref name="stored"/> is not a usable hash, or null.</summary>
    public static string? Problem(string? stored) => IsHash(stored) ? null
        : $"is not a '{Scheme}$ITERATIONS$SALT$HASH' password hash; make one with 'edgecl hash-password'";

    /// <summary>Checks a password against a stored hash in constant time (for a given hash).</summary>
    /// <returns>False for a wrong password or a malformed hash.</returns>
    public static bool Verify(string? password, string? stored)
    {
        if (password is null || !TryParse(stored, out int iterations, out byte[] salt, out byte[] expected))
            return false;
        byte[] actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static bool TryParse(string? stored, out int iterations, out byte[] salt, out byte[] hash)
    {
        iterations = 0;
        salt = hash = [];
        string[] parts = (stored ?? "").Split('$');
        if (parts.Length != 4 || parts[0] != Scheme || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out iterations)
            || iterations is < MinIterations or > MaxIterations)
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
        return salt.Length >= SaltBytes && hash.Length == HashBytes;
    }
}
