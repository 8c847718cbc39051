namespace EdgeCL.Onnx.Errors;

/// <summary>A model file is missing, truncated, not ONNX, or does not fit the backbone contract.</summary>
public sealed class ModelLoadException : Exception
{
    /// <summary>Creates the exception with a one-line message that says what was wrong and what to do.</summary>
    public ModelLoadException(string message, Exception? inner = null) : base(message, inner) { }
}
