using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Agent;

/// <summary>The agent's log lines about its storage and its heartbeat: a full disk, space coming back, the public key export, the health socket.</summary>
internal static partial class AgentLog
{
    [LoggerMessage(Level = LogLevel.Error, Message = "learning paused: {Disk}; free space there (old logs, recordings, done folders). Recognition goes on; examples refused meanwhile are retried when space returns")]
    public static partial void DiskFull(ILogger logger, string disk);

    [LoggerMessage(Level = LogLevel.Information, Message = "learning resumed: {Free} free at '{Path}'; retrying {Waiting} example(s) refused while the disk was full")]
    public static partial void SpaceBack(ILogger logger, string free, string path, int waiting);

    [LoggerMessage(Level = LogLevel.Warning, Message = "public key not exported to '{Path}' ({Reason}); peers need it in their trust_dir, the agent runs without it")]
    public static partial void PublicKeyNotExported(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "health socket for '{StateDir}' not opened ({Reason}); is another agent running on this state_dir? 'edgecl status' falls back to status.json")]
    public static partial void HealthSocketUnavailable(ILogger logger, string stateDir, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "health socket: answering failed")]
    public static partial void HealthSocketFailed(ILogger logger, Exception exception);
}
