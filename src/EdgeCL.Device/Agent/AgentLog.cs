using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Agent;

/// <summary>The agent's log lines (source-generated: no boxing, AOT-safe). Field names are key=value so they grep well in journald.</summary>
internal static partial class AgentLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "started device={Device} fleet={Fleet} backbone={Backbone} space={Space} provider={Provider} learner={Learner} classes={Classes} sources={Sources} merge={Merge}")]
    public static partial void Started(ILogger logger, string device, string fleet, string backbone, string space, string provider, string learner, int classes, int sources, string merge);

    [LoggerMessage(Level = LogLevel.Debug, Message = "recognised label={Label} score={Score:F3} margin={Margin:F3} confidence={Confidence:F3} latency_ms={LatencyMs:F1} source={Source} origin={Origin}")]
    public static partial void Recognised(ILogger logger, string label, float score, float margin, float confidence, double latencyMs, string source, string origin);

    [LoggerMessage(Level = LogLevel.Debug, Message = "unknown score={Score:F3} best={Label} confidence={Confidence:F3} source={Source} origin={Origin}")]
    public static partial void Unknown(ILogger logger, string label, float score, float confidence, string source, string origin);

    [LoggerMessage(Level = LogLevel.Debug, Message = "unknown score={Score:F3} best={Label} confidence={Confidence:F3} reason={Reason} source={Source} origin={Origin}")]
    public static partial void NotAWord(ILogger logger, string label, float score, float confidence, string reason, string source, string origin);

    [LoggerMessage(Level = LogLevel.Debug, Message = "unknown reason={Reason} (not embedded) source={Source} origin={Origin}")]
    public static partial void NotAWordUnembedded(ILogger logger, string reason, string source, string origin);

    [LoggerMessage(Level = LogLevel.Warning, Message = "continuous speech for {Seconds:F0} s (a television, people talking close by?): the isolated-word rule answers all of it unknown, keywords said over it too; if the talk is background less than vad.foreground_db below the speaker, lower vad.foreground_db, or set recognition.max_word_ms and min_pause_before_ms to 0")]
    public static partial void ContinuousSpeech(ILogger logger, double seconds);

    // One line per interval instead of one per recognition (#18: ~170 B a sample filled journald on an SD card).
    [LoggerMessage(Level = LogLevel.Information, Message = "summary last_s={Seconds:F0} recognised={Accepted} unknown={Unknown} accept_rate={AcceptRate:F2} learned={Learned} rejected={Rejected} latency_ms p50<={P50:G3} p95<={P95:G3} p99<={P99:G3}")]
    public static partial void Summary(ILogger logger, double seconds, long accepted, long unknown, double acceptRate, long learned, long rejected, double p50, double p95, double p99);

    [LoggerMessage(Level = LogLevel.Information, Message = "learned label={Label} count={Count} version={Version} ack=1 source={Source} origin={Origin}")]
    public static partial void Learned(ILogger logger, string label, long count, long version, string source, string origin);

    [LoggerMessage(Level = LogLevel.Information, Message = "already learned label={Label} origin={Origin} (delivered again after a restart; not counted twice)")]
    public static partial void Duplicate(ILogger logger, string label, string origin);

    [LoggerMessage(Level = LogLevel.Warning, Message = "rejected reason={Reason} source={Source} origin={Origin}: {Detail}")]
    public static partial void Rejected(ILogger logger, string reason, string source, string origin, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "no classes yet: teach some first (button, 'teach' command or a labelled source); {Origin} not recognised")]
    public static partial void NoClasses(ILogger logger, string origin);

    [LoggerMessage(Level = LogLevel.Information, Message = "teaching label={Label} shots={Shots} timeout_s={Timeout} by={Trigger}")]
    public static partial void TeachStarted(ILogger logger, string label, int shots, double timeout, string trigger);

    [LoggerMessage(Level = LogLevel.Information, Message = "teaching ended label={Label} learned={Learned} reason={Reason}")]
    public static partial void TeachEnded(ILogger logger, string label, int learned, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "teach button held but no class to teach: set teach.label in the config or send a 'teach' command with a label")]
    public static partial void NothingToTeach(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "adaptation reset by={Trigger}")]
    public static partial void AdaptationReset(ILogger logger, string trigger);

    [LoggerMessage(Level = LogLevel.Information, Message = "head rebuilt classes={Classes} adaptation_kept={Kept}")]
    public static partial void HeadRebuilt(ILogger logger, int classes, bool kept);

    [LoggerMessage(Level = LogLevel.Warning, Message = "adaptation checkpoint '{Path}' not restored: {Reason}; adapting from scratch")]
    public static partial void CheckpointRejected(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "adaptation checkpoint restored from '{Path}' ({Bytes} bytes)")]
    public static partial void CheckpointRestored(ILogger logger, string path, int bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "adaptation checkpoint not written: {Reason}")]
    public static partial void CheckpointFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "source {Source} stopped: {Reason}")]
    public static partial void SourceFailed(ILogger logger, string source, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "source {Source} failed unexpectedly; restarting in {DelaySeconds:F0} s")]
    public static partial void SourceCrashed(ILogger logger, Exception exception, string source, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "source {Source} ended")]
    public static partial void SourceEnded(ILogger logger, string source);

    [LoggerMessage(Level = LogLevel.Warning, Message = "GPIO disabled: {Reason}")]
    public static partial void GpioDisabled(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "command {Command} label={Label} id={Id}")]
    public static partial void Command(ILogger logger, string command, string? label, string? id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "command {Command} ignored: {Reason}")]
    public static partial void CommandIgnored(ILogger logger, string command, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "embedded broker listening on {Address}:{Port}")]
    public static partial void BrokerStarted(ILogger logger, string address, int port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "embedded broker could not start ({Reason}); learning continues offline and sync resumes when a broker is reachable")]
    public static partial void BrokerFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "status not written: {Reason}")]
    public static partial void StatusFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "stopping: {Reason}")]
    public static partial void Stopping(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "stopped recognised={Recognised} learned={Learned} rejected={Rejected}")]
    public static partial void Stopped(ILogger logger, long recognised, long learned, long rejected);

    [LoggerMessage(Level = LogLevel.Information, Message = "signing key created at '{Path}'; public key exported to '{PublicPath}' (copy it into peers' trust_dir)")]
    public static partial void KeyCreated(ILogger logger, string path, string publicPath);

    [LoggerMessage(Level = LogLevel.Information, Message = "forget label={Label} by={Trigger} forgotten={Forgotten}")]
    public static partial void Forgot(ILogger logger, string label, string trigger, bool forgotten);

    [LoggerMessage(Level = LogLevel.Information, Message = "false alarm ({Trigger}): '{Label}' at {Origin} is taught as '_background:{Label}'")]
    public static partial void FalseAlarm(ILogger logger, string trigger, string label, string origin);

    [LoggerMessage(Level = LogLevel.Warning, Message = "false alarm ({Trigger}) ignored: no recognition to retract since the start or the last correction")]
    public static partial void FalseAlarmWithoutRecognition(ILogger logger, string trigger);
}
