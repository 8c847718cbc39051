namespace EdgeCL.Device.Sources;

/// <summary>A source cannot run (a wrong setting, an unsupported format); the message is one line that says what to do.</summary>
public sealed class SourceException(string message, Exception? inner = null) : Exception(message, inner);
