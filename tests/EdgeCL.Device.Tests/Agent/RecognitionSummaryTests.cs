using EdgeCL.Device.Agent;
using EdgeCL.Tests.Shared;

namespace EdgeCL.Device.Tests.Agent;

/// <summary>The periodic summary line that stands in for one information line per recognition.</summary>
public sealed class RecognitionSummaryTests
{
    [Fact]
    public void Counts_accept_rate_and_latency_percentiles_in_one_line()
    {
        var log = new ListLoggerFactory();
        var summary = new RecognitionSummary(intervalSeconds: 1e-9);
        for (int i = 1; i <= 100; i++)
            summary.Recognition(accepted: i <= 80, latencyMs: i); // 1..100 ms
        summary.Learned();
        summary.Rejected();
        summary.LogIfDue(log.CreateLogger("agent"));
        string line = Assert.Single(log.Lines);
        Assert.Matches(@"summary last_s=\d+ recognised=80 unknown=20 accept_rate=0\.80 learned=1 rejected=1 latency_ms p50<=50\.1 p95<=100 p99<=100", line);
        summary.LogIfDue(log.CreateLogger("agent"));
        Assert.Single(log.Lines); // an idle interval says nothing
    }

    [Fact]
    public void Adding_a_sample_allocates_nothing()
    {
        var summary = new RecognitionSummary(intervalSeconds: 3600);
        Assert.Equal(0, SteadyAllocation.Bytes(() =>
        {
            for (int i = 0; i < 100_000; i++)
                summary.Recognition(i % 3 != 0, i * 0.01);
        }));
    }
}
