using EdgeCL.Core.Fleet;
using EdgeCL.Device.Config;
using EdgeCL.Device.Sources;
using EdgeCL.Storage.Errors;

namespace EdgeCL.Device.Agent;

/// <summary>What the device page (EdgeCL.Web) and the log summary need from the agent: read-only views, and the few entry
/// points that are not already public (<see cref="Teach"/>, <see cref="FalseAlarm"/> and <see cref="ResetAdaptation"/> are).</summary>
public sealed partial class DeviceAgent
{
    private RecognitionSummary? _summary;

    private RecognitionSummary Summary => _summary ??= new RecognitionSummary(_config.Status.SummarySeconds);

    /// <summary>The config the agent runs with (read-only by convention).</summary>
    public DeviceConfig Config => _config;

    /// <summary>The class being taught right now, or null.</summary>
    public string? TeachingLabel => _teach?.Label;

    /// <summary>Queues a sample (e.g. an uploaded example file) exactly as a source does; false when the queue is full.</summary>
    public bool Submit(InputSample sample) => _samples.Writer.TryWrite(sample);

    /// <summary>Forgets a class of this device (what the <c>forget_class</c> command and <c>edgecl fleet forget</c> do):
    /// its tombstone is committed and synced, and the head is rebuilt.</summary>
    /// <returns>False when this device has no such class.</returns>
    /// <exception cref="StateStoreException">The store could not write the change; nothing changed.</exception>
    public async Task<bool> ForgetAsync(string label, string trigger = "api")
    {
        FleetEntry? tombstone = await _device.ForgetAsync(label).ConfigureAwait(false);
        _headDirty = true;
        AgentLog.Forgot(_logger, label, trigger, tombstone is not null);
        return tombstone is not null;
    }

    // Called for every sample the loop completes: counters only, nothing allocated.
    private void Observe(AgentResult result)
    {
        switch (result.Outcome)
        {
            case AgentOutcome.Recognised or AgentOutcome.Unknown:
                Summary.Recognition(result.Outcome == AgentOutcome.Recognised, result.LatencyMs);
                break;
            case AgentOutcome.Learned:
                Summary.Learned();
                break;
            case AgentOutcome.Rejected:
                Summary.Rejected();
                break;
        }
    }
}
