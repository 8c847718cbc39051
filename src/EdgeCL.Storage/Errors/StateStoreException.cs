namespace EdgeCL.Storage.Errors;

/// <summary>The local state database cannot be opened, read or written; the message is one line that says what to do.</summary>
/// <remarks>Derives from <see cref="IOException"/> so that callers handling I/O failures in general also handle it.</remarks>
public sealed class StateStoreException : IOException
{
    /// <summary>Creates the exception.</summary>
    public StateStoreException(StateStoreFailure failure, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
    }

    /// <summary>The kind of failure, for callers that react differently to a full disk and a corrupt file.</summary>
    public StateStoreFailure Failure { get; }
}
