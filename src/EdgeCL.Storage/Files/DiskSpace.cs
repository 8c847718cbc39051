using System.Globalization;
using EdgeCL.Storage.Errors;
using Microsoft.Data.Sqlite;

namespace EdgeCL.Storage.Files;

/// <summary>Recognises a full disk behind an exception and describes it in words: which path, how much is free.</summary>
/// <remarks>A full SD card is the most common storage fault on a device; it must be reported as such, not as a corrupt key
/// or a bad state file, so the operator frees space instead of deleting an identity.</remarks>
public static class DiskSpace
{
    /// <summary>Free space under which a file system counts as still full (1 MiB: a learned example, its outbox row and the WAL need a few KiB).</summary>
    public const long LowWaterBytes = 1L << 20;

    private const int Enospc = 28;          // Linux/macOS errno "No space left on device"
    private const int Edquot = 122;         // Linux errno "Disk quota exceeded"
    private const int ErrorDiskFull = 112;  // Windows ERROR_DISK_FULL
    private const int ErrorHandleDiskFull = 39;
    private const int SqliteFull = 13;

    /// <summary>True when <paramref name="exception"/> or one of its inner exceptions says the disk (or quota) is full.</summary>
    public static bool IsDiskFull(Exception? exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case StateStoreException { Failure: StateStoreFailure.DiskFull }:
                    return true;
                case SqliteException sqlite when (sqlite.SqliteErrorCode & 0xFF) == SqliteFull:
                    return true;
                case IOException io when (io.HResult & 0xFFFF) is Enospc or Edquot or ErrorDiskFull or ErrorHandleDiskFull:
                    return true;
            }
        }
        return false;
    }

    /// <summary>Bytes free to this process on the file system holding <paramref name="path"/> (its nearest existing folder); null when unknown.</summary>
    public static long? FreeBytes(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            string? folder = Path.GetFullPath(path);
            while (folder is not null && !Directory.Exists(folder))
                folder = Path.GetDirectoryName(folder);
            return folder is null ? null : new DriveInfo(folder).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>True when the file system holding <paramref name="path"/> has at least <see cref="LowWaterBytes"/> free (or its space cannot be read).</summary>
    public static bool HasRoom(string path) => FreeBytes(path) is not { } free || free >= LowWaterBytes;

    /// <summary>One phrase for messages: <c>disk full at '/var/lib/edgecl' (12 KiB free of 29.1 GiB)</c>.</summary>
    public static string Describe(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string? folder = Directory.Exists(full) ? full : Path.GetDirectoryName(full);
        long? free = FreeBytes(full);
        long? total = null;
        try
        {
            if (folder is not null && Directory.Exists(folder))
                total = new DriveInfo(folder).TotalSize;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
        }
        string space = free is { } f ? (total is { } t ? $"{Format(f)} free of {Format(t)}" : $"{Format(f)} free") : "free space unknown";
        return $"disk full at '{folder ?? full}' ({space})";
    }

    /// <summary>A byte count for people: <c>512 B</c>, <c>12 KiB</c>, <c>3.4 MiB</c>, <c>29.1 GiB</c>.</summary>
    public static string Format(long bytes) => bytes switch
    {
        < 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB"),
        < 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.#} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1073741824.0:0.#} GiB"),
    };
}
