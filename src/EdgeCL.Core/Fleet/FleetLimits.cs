using System.Text;

namespace EdgeCL.Core.Fleet;

/// <summary>Bounds on every field of a fleet entry, shared by the merge, the codec and the local store.</summary>
/// <remarks>
/// The bounds are checked before anything is allocated, so a forged entry or payload cannot make a device
/// allocate more than <see cref="MaxPayloadBytes"/> per message.
/// </remarks>
public static class FleetLimits
{
    /// <summary>Longest device id in characters. Device ids are also MQTT client ids and topic levels.</summary>
    public const int MaxDeviceIdLength = 64;

    /// <summary>Longest label in UTF-8 bytes.</summary>
    public const int MaxLabelBytes = 1024;

    /// <summary>Longest embedding-space id in hex characters (as <see cref="Vectors.EmbeddingSpace"/>).</summary>
    public const int MaxSpaceIdLength = 64;

    /// <summary>Largest embedding dimension carried by an entry (as <see cref="Vectors.EmbeddingSpace.MaxDimension"/>).</summary>
    public const int MaxDimension = Vectors.EmbeddingSpace.MaxDimension;

    /// <summary>Largest example count of one entry: 2^53, so that every count is exact as a double weight.</summary>
    public const long MaxCount = 1L << 53;

    /// <summary>Largest encoded entry in bytes: a full-dimension fp32 vector plus generous room for header, ids and signature.</summary>
    public const int MaxPayloadBytes = (4 * MaxDimension) + 2048;

    /// <summary>Whether <paramref name="deviceId"/> is 1-64 characters of <c>A-Z a-z 0-9 . _ -</c>.</summary>
    /// <remarks>The set excludes MQTT's '/', '+' and '#', so a device id is always one safe topic level.</remarks>
    public static bool IsValidDeviceId(string? deviceId)
    {
        if (string.IsNullOrEmpty(deviceId) || deviceId.Length > MaxDeviceIdLength)
            return false;
        foreach (char c in deviceId)
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-'))
                return false;
        return true;
    }

    /// <summary>Throws unless <paramref name="deviceId"/> is valid (see <see cref="IsValidDeviceId"/>).</summary>
    /// <exception cref="ArgumentException">The id is empty, too long or has other characters.</exception>
    public static void EnsureValidDeviceId(string? deviceId, string? paramName = null)
    {
        if (!IsValidDeviceId(deviceId))
            throw new ArgumentException(
                $"Device id '{deviceId}' must be 1-{MaxDeviceIdLength} characters of A-Z, a-z, 0-9, '.', '_' or '-'; pick an id such as 'kitchen-01'.",
                paramName ?? nameof(deviceId));
    }

    /// <summary>Whether <paramref name="label"/> is a label any device can hold: non-empty, trimmed, no control characters, at most <see cref="MaxLabelBytes"/> UTF-8 bytes.</summary>
    public static bool IsValidLabel(string? label)
    {
        if (string.IsNullOrWhiteSpace(label) || label.Length > MaxLabelBytes)
            return false;
        if (char.IsWhiteSpace(label[0]) || char.IsWhiteSpace(label[^1]))
            return false;
        foreach (char c in label)
            if (char.IsControl(c))
                return false;
        // Lone surrogates would not survive a UTF-8 round trip; GetByteCount with a throwing encoder catches them.
        try
        {
            return s_strictUtf8.GetByteCount(label) <= MaxLabelBytes;
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>Whether <paramref name="spaceId"/> is 1-64 lower-case hex characters.</summary>
    public static bool IsValidSpaceId(string? spaceId)
    {
        if (string.IsNullOrEmpty(spaceId) || spaceId.Length > MaxSpaceIdLength)
            return false;
        foreach (char c in spaceId)
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
                return false;
        return true;
    }

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
