using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Agent;

/// <summary>
/// One line per log event on a writer (stdout for the agent). Under systemd (<c>JOURNAL_STREAM</c> set) each line starts with
/// the sd-daemon priority prefix (<c>&lt;3&gt;</c> error ... <c>&lt;7&gt;</c> debug), which journald turns into the entry's priority;
/// elsewhere it starts with a UTC time and the level.
/// </summary>
public sealed class LineLoggerFactory(TextWriter writer, LogLevel minimum = LogLevel.Information, bool? journald = null) : ILoggerFactory
{
    private readonly bool _journald = journald ?? Environment.GetEnvironmentVariable("JOURNAL_STREAM") is { Length: > 0 };

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => new LineLogger(this, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    /// <inheritdoc/>
    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("LineLoggerFactory writes to its own writer; it takes no providers.");

    /// <inheritdoc/>
    public void Dispose()
    {
    }

    private void Write(LogLevel level, string category, string message)
    {
        string line = _journald
            ? $"<{Priority(level)}>{category}: {message}"
            : $"{DateTime.UtcNow:HH:mm:ss.fff} {Short(level)} {category}: {message}";
        lock (writer)
        {
            writer.WriteLine(line);
            writer.Flush();
        }
    }

    private static int Priority(LogLevel level) => level switch
    {
        LogLevel.Critical => 2,
        LogLevel.Error => 3,
        LogLevel.Warning => 4,
        LogLevel.Information => 6,
        _ => 7,
    };

    private static string Short(LogLevel level) => level switch
    {
        LogLevel.Critical => "crit ",
        LogLevel.Error => "error",
        LogLevel.Warning => "warn ",
        LogLevel.Information => "info ",
        _ => "debug",
    };

    private sealed class LineLogger(LineLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= Minimum(owner) && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
                return;
            string message = formatter(state, exception).ReplaceLineEndings(" ");
            if (exception is not null && !message.Contains(exception.Message.Split('\n')[0], StringComparison.Ordinal))
                message += $" ({exception.GetType().Name}: {exception.Message.ReplaceLineEndings(" ")})";
            owner.Write(logLevel, category, message);
        }

        private static LogLevel Minimum(LineLoggerFactory f) => f._minimum;
    }

    private readonly LogLevel _minimum = minimum;
}
