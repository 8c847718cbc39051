using EdgeCL.Core.Errors;
using EdgeCL.Core.Rollout;
using EdgeCL.Core.Vectors;

namespace EdgeCL.Device.Rollout;

/// <summary>
/// Where a device finds the calibration pairs an operator installed beside a new backbone
/// (<c>&lt;backbone folder&gt;/calibration/&lt;old space id&gt;.eccal</c>, made by <c>edgecl rollout calibrate</c>), and reads them.
/// </summary>
/// <remarks>They travel with the backbone, which is installed on the device the same way (nothing is downloaded), so they
/// need no signature of their own; their checksum catches a damaged copy.</remarks>
public static class CalibrationFile
{
    /// <summary>The folder beside the backbone's manifest.</summary>
    public const string FolderName = "calibration";

    /// <summary>Largest file read (a few hundred pairs are ~1 MB; this bounds what a wrong file can cost a Pi).</summary>
    public const long MaxBytes = 64L << 20;

    /// <summary>The path a device reads for a move from <paramref name="oldSpace"/> to the backbone in <paramref name="backboneDirectory"/>.</summary>
    public static string PathFor(string backboneDirectory, EmbeddingSpace oldSpace) =>
        Path.Combine(backboneDirectory, FolderName, CalibrationPairs.FileNameFor(oldSpace));

    /// <summary>The pairs for <paramref name="oldSpace"/> → <paramref name="newSpace"/>, or null when none are installed
    /// (or the backbone is a bare model file with no folder of its own).</summary>
    /// <exception cref="RolloutException">A file is there but cannot be used (damaged, too large, of other spaces); one line with its path.</exception>
    public static CalibrationPairs? Load(string? backboneDirectory, EmbeddingSpace oldSpace, EmbeddingSpace newSpace)
    {
        ArgumentNullException.ThrowIfNull(oldSpace);
        ArgumentNullException.ThrowIfNull(newSpace);
        if (backboneDirectory is null)
            return null;
        string path = PathFor(backboneDirectory, oldSpace);
        if (!File.Exists(path))
            return null;
        CalibrationPairs pairs = Read(path);
        if (pairs.Source != oldSpace || pairs.Target != newSpace)
            throw new RolloutException($"calibration file '{path}' cannot be used: it holds {pairs.Source} → {pairs.Target}, not {oldSpace} → {newSpace}; calibrate this backbone pair.");
        return pairs;
    }

    /// <summary>Reads the pairs of one file, at most <see cref="MaxBytes"/> (a device's, or the one an operator names to
    /// <c>edgecl fleet carry</c>).</summary>
    /// <exception cref="RolloutException">Missing, unreadable, too large or damaged; one line with its path.</exception>
    public static CalibrationPairs Read(string path)
    {
        try
        {
            long length = new FileInfo(path).Length;
            if (length > MaxBytes)
                throw new RolloutException($"it is {length >> 20} MiB, more than the {MaxBytes >> 20} MiB a device reads; a few hundred calibration inputs are enough.");
            return CalibrationPairs.Decode(File.ReadAllBytes(path));
        }
        catch (Exception ex) when (ex is RolloutException or IOException or UnauthorizedAccessException)
        {
            throw new RolloutException($"calibration file '{path}' cannot be used: {ErrorText.OneLine(ex)}");
        }
    }
}
