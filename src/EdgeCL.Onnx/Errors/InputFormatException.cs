namespace EdgeCL.Onnx.Errors;

/// <summary>An input file (WAV, image, tensor) cannot be read or does not match the front end.</summary>
public sealed class InputFormatException : Exception
{
    /// <summary>Creates the exception with a one-line message that says what was wrong and what to do.</summary>
    public InputFormatException(string message, Exception? inner = null) : base(message, inner) { }
}
