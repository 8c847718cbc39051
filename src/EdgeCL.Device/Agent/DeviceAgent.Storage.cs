using System.Diagnostics;
using EdgeCL.Device.Sources;
using EdgeCL.Storage.Files;

namespace EdgeCL.Device.Agent;

/// <summary>A full disk: learning pauses (recognition does not), one line says where and how much is free, and the
/// examples refused meanwhile are offered again by their sources once space returns, without a restart or a touch.</summary>
public sealed partial class DeviceAgent
{
    /// <summary>How often free space is looked at while learning is paused.</summary>
    private static readonly TimeSpan SpaceProbeInterval = TimeSpan.FromSeconds(2);

    /// <summary>Most refused examples remembered for a retry (file samples hold a path, not their data).</summary>
    private const int MaxAwaitingSpace = 10_000;

    private readonly List<InputSample> _awaitingSpace = [];
    private bool _diskFull;
    private long _lastSpaceProbe;

    /// <summary>True while learning is paused because the state's disk is full.</summary>
    public bool DiskFull => Volatile.Read(ref _diskFull);

    /// <summary>Notes a learn refused for a full disk (or a start on one, with no sample): logs once per episode, keeps the
    /// sample for a retry when its source can offer it again.</summary>
    private void PauseLearningForSpace(InputSample? sample)
    {
        if (!_diskFull)
        {
            Volatile.Write(ref _diskFull, true);
            _lastSpaceProbe = Stopwatch.GetTimestamp();
            AgentLog.DiskFull(_logger, DiskSpace.Describe(_stateDir));
        }
        if (sample?.Retry is not null && _awaitingSpace.Count < MaxAwaitingSpace)
            _awaitingSpace.Add(sample);
    }

    /// <summary>On the loop, every <see cref="SpaceProbeInterval"/> while paused: when space is back, resume and re-offer the refused examples.</summary>
    private void ProbeSpace()
    {
        if (!_diskFull || Stopwatch.GetElapsedTime(_lastSpaceProbe) < SpaceProbeInterval)
            return;
        _lastSpaceProbe = Stopwatch.GetTimestamp();
        if (!DiskSpace.HasRoom(_stateDir))
            return;
        Volatile.Write(ref _diskFull, false);
        AgentLog.SpaceBack(_logger, DiskSpace.FreeBytes(_stateDir) is { } free ? DiskSpace.Format(free) : "some space", _stateDir, _awaitingSpace.Count);
        foreach (InputSample sample in _awaitingSpace)
            sample.Retry!();
        _awaitingSpace.Clear();
    }
}
