using System.Diagnostics;
using EdgeCL.Sync.Device;
using EdgeCL.Sync.Status;

namespace EdgeCL.Device.Agent;

/// <summary>Health: the report, the status file written every <c>status.interval_seconds</c>, and the live answer on the
/// <see cref="HealthSocket"/> that <c>edgecl status</c> asks (it needs no disk, so it stays true on a full one).</summary>
public sealed partial class DeviceAgent
{
    // The running build's version (the Cli's <Version>, stamped into the entry assembly), for the fleet page.
    private static readonly string? s_version = System.Reflection.Assembly.GetEntryAssembly()?.GetName().Version?.ToString(3);
    private LocalStatus? _lastStatusRecord;

    /// <summary>The current health report.</summary>
    public DeviceHealth Health()
    {
        FleetDeviceStatistics stats = _device.Statistics;
        Dictionary<string, long> rejected;
        lock (_rejected)
            rejected = new Dictionary<string, long>(_rejected, StringComparer.Ordinal);
        var dropped = stats.Sync.Drops.Where(kv => kv.Value > 0).ToDictionary(kv => kv.Key.ToString(), kv => kv.Value, StringComparer.Ordinal);
        return new DeviceHealth
        {
            Version = s_version,
            Model = _backbone.Name,
            ConfigModel = _backboneChoice.Overridden ? _backboneChoice.ConfigName : null,
            Refused = Refusals(),
            Provider = _backbone.ActiveProvider.ToString(),
            Dimension = _backbone.Space.Dimension,
            Learner = _config.Learner.Method,
            OwnClasses = _device.OwnClassCount,
            // The head is rebuilt lazily (at the next recognition); the fleet view is what the device holds now.
            FleetClasses = _headDirty ? _device.FleetPrototypes().ClassCount : _head.ClassCount,
            Adaptation = _head.AdaptationState(_config.Learner.Adapt),
            AdaptationResets = _head.Resets,
            Teaching = _teach?.Label,
            Recognised = Interlocked.Read(ref _recognised),
            Learned = Interlocked.Read(ref _learned),
            Rejected = rejected.Count == 0 ? null : rejected,
            Dropped = dropped.Count == 0 ? null : dropped,
            PendingOutbox = _device.PendingOutboxRows,
            Connected = _online && _device.Client.IsConnected,
            Sources = $"{Volatile.Read(ref _sourcesRunning)}/{_config.Sources.Count}",
            UptimeSeconds = (long)Stopwatch.GetElapsedTime(_startTimestamp).TotalSeconds,
            RssBytes = Environment.WorkingSet,
            LastError = _lastError,
        };
    }

    /// <summary>The health as it is now, computed on the agent loop between two samples; the last written report when the
    /// loop is busy past <paramref name="cancellationToken"/> (a long embedding).</summary>
    private async Task<LocalStatus> HealthNowAsync(CancellationToken cancellationToken)
    {
        var now = new TaskCompletionSource<LocalStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(() => now.TrySetResult(StatusFile.Create(_device.DeviceId, Health())));
        try
        {
            return await now.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (Volatile.Read(ref _lastStatusRecord) is { } last)
        {
            return last;
        }
    }

    private void WriteStatus(bool publish)
    {
        DeviceHealth health = Health();
        LocalStatus status = StatusFile.Create(_device.DeviceId, health);
        Volatile.Write(ref _lastStatusRecord, status);
        try
        {
            if (!_diskFull)
                StatusFile.Write(StatusPath, status);
        }
        catch (IOException ex)
        {
            AgentLog.StatusFailed(_logger, ex.Message.Split('\n')[0]);
        }
        if (publish && _online)
            _ = _device.Client.PublishHealthAsync(health);
    }
}
