namespace EdgeCL.Storage.Errors;

/// <summary>What kind of problem a <see cref="StateStoreException"/> reports.</summary>
public enum StateStoreFailure
{
    /// <summary>The file is damaged (torn, truncated or overwritten).</summary>
    Corrupt,

    /// <summary>The file is not an EdgeCL state database (another SQLite database or not SQLite at all).</summary>
    NotStateDatabase,

    /// <summary>The database was written by a newer schema version.</summary>
    UnsupportedSchema,

    /// <summary>The database belongs to another device id.</summary>
    WrongDevice,

    /// <summary>The disk is full; nothing of the failed operation was written.</summary>
    DiskFull,

    /// <summary>Another process holds the database longer than the busy timeout.</summary>
    Busy,

    /// <summary>The file or its folder is read-only or cannot be opened.</summary>
    CannotOpen,

    /// <summary>Any other I/O error reported by SQLite or the operating system.</summary>
    Io,
}
