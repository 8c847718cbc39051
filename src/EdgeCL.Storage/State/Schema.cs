namespace EdgeCL.Storage.State;

/// <summary>The SQL schema of the state database, version 1.</summary>
internal static class Schema
{
    /// <summary>SQLite header field 'application_id': marks the file as an EdgeCL state database ("ECLD").</summary>
    public const int ApplicationId = 0x45434C44;

    public const int Version = 1;

    // STRICT tables make SQLite refuse a value of the wrong type instead of storing it silently.
    // 'examples' was added without a version bump: it is created on open when missing (older files), and older builds ignore it.
    public const string CreateExamples = """
        CREATE TABLE IF NOT EXISTS examples (
            id      TEXT PRIMARY KEY NOT NULL,
            label   TEXT NOT NULL,
            created INTEGER NOT NULL
        ) STRICT;
        """;

    // 'exemplars' (raw inputs kept for a backbone rollout, #14) was added the same way: created on open when missing.
    public const string CreateExemplars = """
        CREATE TABLE IF NOT EXISTS exemplars (
            sequence  INTEGER PRIMARY KEY NOT NULL CHECK (sequence >= 1),
            label     TEXT NOT NULL,
            input     BLOB NOT NULL,
            embedding BLOB NOT NULL
        ) STRICT;
        """;

    /// <summary>Ids of learned examples kept for de-duplication; older ones are pruned.</summary>
    public const int ExamplesKept = 10_000;

    public const string Create = """
        CREATE TABLE meta (
            key   TEXT PRIMARY KEY NOT NULL,
            value ANY NOT NULL
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE prototypes (
            label   TEXT PRIMARY KEY NOT NULL,
            count   INTEGER NOT NULL CHECK (count > 0),
            version INTEGER NOT NULL CHECK (version >= 1),
            mean    BLOB NOT NULL
        ) STRICT;
        CREATE TABLE tombstones (
            label   TEXT PRIMARY KEY NOT NULL,
            version INTEGER NOT NULL CHECK (version >= 1)
        ) STRICT;
        CREATE TABLE fleet_entries (
            device    TEXT NOT NULL,
            label     TEXT NOT NULL,
            version   INTEGER NOT NULL CHECK (version >= 1),
            count     INTEGER NOT NULL CHECK (count >= 0),
            mean      BLOB NOT NULL,
            signature BLOB,
            payload   BLOB,
            PRIMARY KEY (device, label)
        ) STRICT;
        CREATE TABLE IF NOT EXISTS examples (
            id      TEXT PRIMARY KEY NOT NULL,
            label   TEXT NOT NULL,
            created INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE outbox (
            seq     INTEGER PRIMARY KEY AUTOINCREMENT,
            payload BLOB NOT NULL,
            created INTEGER NOT NULL
        ) STRICT;
        """;
}
