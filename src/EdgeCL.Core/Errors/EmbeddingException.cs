namespace EdgeCL.Core.Errors;

/// <summary>An embedding was refused: wrong size, NaN/Inf, or from another embedding space.</summary>
/// <remarks>Thrown before any state changes, so the caller's memory is exactly as it was.</remarks>
public sealed class EmbeddingException : ArgumentException
{
    /// <summary>Creates the exception with a one-line message that says what was wrong and what to do.</summary>
    public EmbeddingException(string message) : base(message) { }
}
