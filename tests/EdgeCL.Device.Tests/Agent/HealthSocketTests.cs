using EdgeCL.Device.Agent;

namespace EdgeCL.Device.Tests.Agent;

/// <summary>The heartbeat <c>edgecl status</c> asks: live counts from the running agent, nothing once it stopped.</summary>
public sealed class HealthSocketTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgecl-health-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_running_agent_answers_with_its_live_health_and_a_stopped_one_does_not()
    {
        if (!OperatingSystem.IsLinux())
            return; // abstract sockets are Linux-only; elsewhere status falls back to status.json (CI runs on Linux)
        string state = Path.Combine(_dir, "state");
        // A status interval of an hour: status.json is written once at the start and then goes stale, as on a full disk.
        var config = AgentTestData.Config("health-dev", state);
        config = new EdgeCL.Device.Config.DeviceConfig
        {
            DeviceId = config.DeviceId, Fleet = config.Fleet, Backbone = config.Backbone, ModelsRoot = config.ModelsRoot, StateDir = state,
            Learner = config.Learner, Sources = config.Sources, Status = new EdgeCL.Device.Config.StatusSettings { IntervalSeconds = 3600 },
        };
        await using (RunningAgent agent = await RunningAgent.StartAsync(config, _dir))
        {
            var random = new Random(1);
            agent.Source.Add(AgentTestData.Sample(0, random), "zero");
            agent.Source.Add(AgentTestData.Sample(1, random), "one");
            agent.WaitForResults(2);
            LocalStatus? live = HealthSocket.TryQuery(state, TimeSpan.FromSeconds(5));
            Assert.NotNull(live);
            Assert.Equal("health-dev", live.DeviceId);
            Assert.Equal(Environment.ProcessId, live.ProcessId);
            Assert.Equal(2, live.Health!.OwnClasses);
            Assert.Equal(2, live.Health.FleetClasses); // the fleet view as it is, not as of the head's next rebuild
            Assert.Equal(2, live.Health.Learned);
            Assert.Equal(0, StatusFile.Read(Path.Combine(state, StatusFile.FileName)).Health!.Learned); // the stale file
        }
        Assert.Null(HealthSocket.TryQuery(state, TimeSpan.FromSeconds(1)));
        Assert.Null(HealthSocket.TryQuery(Path.Combine(_dir, "never-ran"), TimeSpan.FromSeconds(1)));
    }
}
