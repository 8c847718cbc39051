using Microsoft.Extensions.Logging;

namespace EdgeCL.Web;

/// <summary>The page's log lines (source-generated). Actions are logged with <c>by=web</c> by the agent itself; these say who asked.</summary>
internal static partial class WebLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "{Page} on {Scheme}://{Address} (users={Users})")]
    public static partial void Listening(ILogger logger, string page, string scheme, string address, int users);

    [LoggerMessage(Level = LogLevel.Information, Message = "web action {Action} label={Label} user={User} from={Remote}")]
    public static partial void Action(ILogger logger, string action, string? label, string user, string remote);

    [LoggerMessage(Level = LogLevel.Information, Message = "fleet command {Command} label={Label} to {Device} id={Id} user={User} from={Remote}")]
    public static partial void FleetCommand(ILogger logger, string command, string label, string device, string id, string user, string remote);

    [LoggerMessage(Level = LogLevel.Warning, Message = "web refused {Method} {Path} from={Remote} status={Status}: {Reason}")]
    public static partial void Refused(ILogger logger, string method, string path, string remote, int status, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "web connection from {Remote} ended: {Reason}")]
    public static partial void ConnectionEnded(ILogger logger, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "web event stream dropped for {Remote}: {Reason}")]
    public static partial void StreamDropped(ILogger logger, string remote, string reason);
}
