namespace EdgeCL.Core.Errors;

/// <summary>A stored or transmitted state blob is malformed, truncated, corrupt or of an unknown version.</summary>
public sealed class StateFormatException : FormatException
{
    /// <summary>Creates the exception with a one-line message that says what was wrong and what to do.</summary>
    public StateFormatException(string message) : base(message) { }
}
