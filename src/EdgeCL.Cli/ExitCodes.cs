namespace EdgeCL.Cli;

/// <summary>Process exit codes of <c>edgecl</c>: the one table, also in README.md ("Exit codes"); CliExitCodeTests runs every row.</summary>
/// <remarks>A problem is classed by what the user has to fix, the same in every command: the command line or config (2),
/// the input data (3), the model files (4), the stored state or its disk (5).</remarks>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Success = 0;

    /// <summary>Unexpected failure (a bug or a broken environment).</summary>
    public const int Failure = 1;

    /// <summary><c>edgecl status</c>: no agent runs (or answers) on that state folder, including one that never ran.</summary>
    public const int NotRunning = 1;

    /// <summary>Bad command line or configuration (<c>device.json</c>, options, a reserved label).</summary>
    public const int Usage = 2;

    /// <summary>Bad input data: unreadable file, wrong format, too large, empty dataset, an embedding with NaN or the wrong length.</summary>
    public const int InputError = 3;

    /// <summary>Model missing, corrupt (checksum mismatch), not an embedding model, or producing NaN.</summary>
    public const int ModelError = 4;

    /// <summary>State corrupt, from another embedding space, or unwritable (disk full, read-only, a folder in the way).</summary>
    public const int StateError = 5;

    /// <summary>Cancelled (Ctrl-C, SIGTERM).</summary>
    public const int Cancelled = 130;
}
