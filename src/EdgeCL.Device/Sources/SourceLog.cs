using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Sources;

/// <summary>Source-generated log messages of the file, folder and frame sources (event ids 200-299).</summary>
internal static partial class SourceLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "{Source}: folder {Path} does not exist (removed or not mounted); waiting for it to come back")]
    public static partial void FolderMissing(ILogger logger, string source, string path);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "{Source}: folder {Path} is back")]
    public static partial void FolderBack(ILogger logger, string source, string path);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "{Source}: {Path} was not handled; it stays in place and is offered again after it changes, at the next start, or when the agent retries it (a full disk)")]
    public static partial void NotHandled(ILogger logger, string source, string path);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "{Source}: could not {Action} {Path} after handling it ({Reason}); it stays and will not be offered again until it changes or the next start")]
    public static partial void CleanupFailed(ILogger logger, string source, string action, string path, string reason);

    [LoggerMessage(EventId = 204, Level = LogLevel.Warning, Message = "{Source}: {Path} does not exist; skipped")]
    public static partial void FileMissing(ILogger logger, string source, string path);

    [LoggerMessage(EventId = 205, Level = LogLevel.Warning, Message = "{Source}: the stream ended inside a frame ({Bytes} of {FrameBytes} bytes); the partial frame is discarded")]
    public static partial void PartialFrame(ILogger logger, string source, int bytes, int frameBytes);

    [LoggerMessage(EventId = 206, Level = LogLevel.Information, Message = "{Source}: the writer closed {Path} after {Frames} frames; reopening")]
    public static partial void Reopening(ILogger logger, string source, string path, long frames);

    [LoggerMessage(EventId = 207, Level = LogLevel.Information, Message = "{Source}: end of input after {Frames} frames")]
    public static partial void Ended(ILogger logger, string source, long frames);

    [LoggerMessage(EventId = 208, Level = LogLevel.Warning, Message = "{Source}: {Path} does not exist yet; waiting for the writer to create it")]
    public static partial void WaitingForPath(ILogger logger, string source, string path);

    [LoggerMessage(EventId = 209, Level = LogLevel.Warning, Message = "{Source}: the camera is not available ({Reason}); retrying every {RetryMs} ms")]
    public static partial void CameraUnavailable(ILogger logger, string source, string reason, int retryMs);

    [LoggerMessage(EventId = 210, Level = LogLevel.Warning, Message = "{Source}: cannot read {Path} ({Reason}); retrying every {RetryMs} ms")]
    public static partial void OpenFailed(ILogger logger, string source, string path, string reason, int retryMs);
}
