namespace EdgeCL.Storage.State;

/// <summary>Settings of a <see cref="StateStore"/>.</summary>
public sealed record StateStoreOptions
{
    /// <summary>How long a statement waits for another process's lock before failing with <see cref="Errors.StateStoreFailure.Busy"/>. Default 5 s.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Run SQLite's <c>quick_check</c> when opening, so a damaged file fails at start-up with a clear message rather than later. Default true (cost: one read of the file).</summary>
    public bool VerifyOnOpen { get; init; } = true;

    /// <summary>Hold the database exclusively (SQLite <c>locking_mode = EXCLUSIVE</c>): no other process can read it while
    /// it is open, but no <c>-shm</c> file is needed, so a database can be opened on a full disk. Default false.</summary>
    /// <remarks>The device agent opens its state this way only when a normal open failed for a full disk: it then starts,
    /// recognises from the stored classes, and learns again as soon as space returns, without a restart.</remarks>
    public bool ExclusiveLocking { get; init; }

    /// <summary>Clock for outbox timestamps. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The defaults.</summary>
    public static StateStoreOptions Default { get; } = new();

    /// <summary>Validates every setting.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        if (BusyTimeout < TimeSpan.Zero || BusyTimeout > TimeSpan.FromMinutes(10))
            throw new ArgumentException($"StateStoreOptions.BusyTimeout must be in 0..10 min, got {BusyTimeout}.");
        if (TimeProvider is null)
            throw new ArgumentException("StateStoreOptions.TimeProvider must not be null; use TimeProvider.System.");
    }
}
