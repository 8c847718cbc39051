using EdgeCL.Sync.Broker;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Sync.Tests.Unit;

/// <summary>The embedded broker's refusals: one line per window plus a count, not one line per refused publish.</summary>
public sealed class RefusalLogTests
{
    [Fact]
    public void A_burst_of_refusals_is_one_line_then_a_count()
    {
        var logger = new Lines();
        var log = new RefusalLog(logger, TimeSpan.FromHours(1));
        for (int i = 0; i < 65_000; i++)
            log.Refused("publish", "rogue", "rogue", $"edgecl/v1/f/s/proto/other/{i}");
        Assert.Single(logger.Messages);
        Assert.Contains("Broker refused publish by rogue (user rogue) on edgecl/v1/f/s/proto/other/0", logger.Messages[0], StringComparison.Ordinal);
        log.Flush();
        Assert.Equal(2, logger.Messages.Count);
        Assert.Contains("refused 64999 more requests within 3600 s", logger.Messages[1], StringComparison.Ordinal);
        log.Flush();
        Assert.Equal(2, logger.Messages.Count); // nothing pending: nothing more
    }

    [Fact]
    public void After_the_window_the_next_refusal_is_logged_with_the_count_before_it()
    {
        var logger = new Lines();
        var log = new RefusalLog(logger, TimeSpan.FromMilliseconds(50));
        log.Refused("publish", "c", "u", "t/1");
        log.Refused("publish", "c", "u", "t/2");
        Thread.Sleep(120);
        log.Refused("subscription", "c", "u", "t/3");
        Assert.Equal(3, logger.Messages.Count);
        Assert.Contains("refused 1 more requests", logger.Messages[1], StringComparison.Ordinal);
        Assert.Contains("subscription by c (user u) on t/3", logger.Messages[2], StringComparison.Ordinal);
    }

    private sealed class Lines : ILogger
    {
        public List<string> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Add(formatter(state, exception));
    }
}
