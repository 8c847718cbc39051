namespace EdgeCL.Cli;

/// <summary>Process exit codes of <c>edgecl</c> (documented in README.md).</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Success = 0;
    /// <summary>Unexpected failure (a bug or a broken environment).</summary>
    public const int Failure = 1;
    /// <summary>Bad command line or configuration.</summary>
    public const int Usage = 2;
    /// <summary>Bad input data: unreadable file, wrong format, empty dataset, wrong embedding.</summary>
    public const int InputError = 3;
    /// <summary>Model missing, corrupt, or not an embedding model.</summary>
    public const int ModelError = 4;
    /// <summary>State file corrupt, from another embedding space, or unwritable (disk full).</summary>
    public const int StateError = 5;
    /// <summary>Cancelled (Ctrl-C).</summary>
    public const int Cancelled = 130;
}
