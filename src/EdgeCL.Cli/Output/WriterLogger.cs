using Microsoft.Extensions.Logging;

namespace EdgeCL.Cli.Output;

/// <summary>Writes warnings and errors as one line each (<c>edgecl {prefix}: message</c>) to a fixed writer, e.g. the broker's refusals to stderr.</summary>
/// <remarks>The writer is captured once, so lines go where the command's output went even when <see cref="Console"/> is redirected later.</remarks>
internal sealed class WriterLogger<T>(TextWriter writer, string prefix, LogLevel minimum = LogLevel.Warning) : ILogger<T>
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
            return;
        string message = formatter(state, exception).ReplaceLineEndings(" ");
        if (exception is not null)
            message += $" ({exception.Message.ReplaceLineEndings(" ")})";
        lock (writer)
            writer.WriteLine($"edgecl {prefix}: {logLevel.ToString().ToLowerInvariant()}: {message}");
    }
}
