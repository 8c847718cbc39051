using EdgeCL.Core.Errors;
using EdgeCL.Core.Fleet;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Vectors;
using EdgeCL.Storage.Errors;
using EdgeCL.Storage.Files;
using Microsoft.Data.Sqlite;

namespace EdgeCL.Storage.State;

/// <summary>SQLite failures translated into one-line StateStoreExceptions that say what to do.</summary>
public sealed partial class StateStore
{
    private StateStoreException Corrupt(string detail) => new(StateStoreFailure.Corrupt,
        $"State database '{Path}' is corrupt ({OneLine(detail)}); move it aside and restore a backup, or delete it to start a new state (the fleet resends its entries).");

    private StateStoreException Translate(SqliteException ex, string action)
    {
        string detail = FirstLine(ex.Message);
        // Primary result codes: https://www.sqlite.org/rescode.html
        return (ex.SqliteErrorCode & 0xFF) switch
        {
            13 => new StateStoreException(StateStoreFailure.DiskFull,
                $"Disk full while {action} state database '{Path}'; nothing was written: free space on that disk and retry.", ex),
            // SQLite reports a failed -shm or WAL extension as a plain I/O error; on a file system with no room it is the full disk.
            10 when !DiskSpace.HasRoom(Path) => new StateStoreException(StateStoreFailure.DiskFull,
                $"Disk full while {action} state database '{Path}' ({DiskSpace.Describe(Path)}); nothing was written: free space on that disk and retry.", ex),
            11 => new StateStoreException(StateStoreFailure.Corrupt,
                $"State database '{Path}' is corrupt ({detail}); move it aside and restore a backup, or delete it to start a new state (the fleet resends its entries).", ex),
            26 => new StateStoreException(StateStoreFailure.NotStateDatabase,
                $"'{Path}' is not an EdgeCL state database or its header is damaged; move it aside and restore a backup, or pass another path.", ex),
            5 or 6 => new StateStoreException(StateStoreFailure.Busy,
                $"State database '{Path}' stayed locked by another process for over {_options.BusyTimeout.TotalSeconds:0.#} s while {action} it; stop the other edgecl process or raise BusyTimeout.", ex),
            3 or 8 or 14 or 23 => new StateStoreException(StateStoreFailure.CannotOpen,
                $"State database '{Path}' cannot be opened for writing ({detail}); check that the folder exists and is writable.", ex),
            _ => new StateStoreException(StateStoreFailure.Io,
                $"I/O error while {action} state database '{Path}' ({detail}); check the disk and retry.", ex),
        };
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Replace("*** in database main *** ", "", StringComparison.Ordinal).Trim();

    private static string FirstLine(string message)
    {
        int newline = message.AsSpan().IndexOfAny('\r', '\n');
        return newline < 0 ? message : message[..newline];
    }
}
