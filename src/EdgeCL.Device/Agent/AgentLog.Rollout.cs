using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Agent;

/// <summary>The agent's log lines about backbone rollouts: the exemplar store it keeps for the next backbone.</summary>
internal static partial class AgentLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "exemplars: {Count} kept for {Classes} class(es), {Megabytes:F2} of {BudgetMegabytes:F2} MB, for the next backbone to re-embed")]
    public static partial void ExemplarsLoaded(ILogger logger, int count, int classes, double megabytes, double budgetMegabytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "exemplars not kept: {Reason}; learning goes on, and a backbone rollout will map every class")]
    public static partial void ExemplarsDisabled(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "exemplar of '{Label}' not kept: {Reason}")]
    public static partial void ExemplarNotKept(ILogger logger, string label, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "rollout: new_backbone id={Id}: switching from backbone {From} to {To}; the agent restarts and moves its state")]
    public static partial void BackboneSwitching(ILogger logger, string from, string to, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "command {Command} id={Id} refused: {Reason}")]
    public static partial void CommandRefused(ILogger logger, string command, string id, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "rollout: backbone {Backbone} from '{Path}' (a new_backbone command) overrides the config's {ConfigBackbone}")]
    public static partial void BackboneOverridden(ILogger logger, string backbone, string path, string configBackbone);

    [LoggerMessage(Level = LogLevel.Warning, Message = "rollout: state moved from space {From} to {To} ({Classes}); the old state is kept as '{Archive}'")]
    public static partial void StateMigrated(ILogger logger, string from, string to, string classes, string archive);
}
