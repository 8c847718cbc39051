using EdgeCL.Sync.Payloads;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Sync;

/// <summary>Source-generated log messages of EdgeCL.Sync (named holes, no interpolation).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Device {Device} connected to {Host}:{Port} (session {Session})")]
    public static partial void Connected(ILogger logger, string device, string host, int port, long session);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Device {Device} could not connect to {Host}:{Port}: {Reason}; retrying in {DelayMs} ms")]
    public static partial void ConnectFailed(ILogger logger, string device, string host, int port, string reason, long delayMs);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Device {Device} lost its broker connection: {Reason}")]
    public static partial void ConnectionLost(ILogger logger, string device, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Dropped a message from {Sender} on {Topic}: {Reason} ({Detail}); further {Reason} drops from {Sender} are counted, not logged")]
    public static partial void Dropped(ILogger logger, string sender, string topic, SyncDropReason reason, string detail);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Broker refused {What} for device {Device}: {Code}; check the broker ACL lets {Device} write edgecl/v1/<fleet>/<space>/proto/{Device}/# and read the fleet")]
    public static partial void Refused(ILogger logger, string what, string device, string code);

    [LoggerMessage(EventId = 6, Level = LogLevel.Error, Message = "Processing a message on {Topic} failed")]
    public static partial void ProcessingFailed(ILogger logger, Exception exception, string topic);

    [LoggerMessage(EventId = 7, Level = LogLevel.Error, Message = "A {Event} handler threw")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string @event);

    [LoggerMessage(EventId = 9, Level = LogLevel.Information, Message = "Rebirth: device {Device} republished {Count} own entries")]
    public static partial void Rebirth(ILogger logger, string device, int count);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Device {Device} opened {Path}: {Classes} classes, {Tombstones} tombstones, {FleetEntries} fleet entries, {Pending} outbox rows pending")]
    public static partial void DeviceOpened(ILogger logger, string device, string path, int classes, int tombstones, int fleetEntries, long pending);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Device {Device}: the fleet holds version {FleetVersion} of its own class '{Label}' but the local store has {LocalVersion}; {Action}")]
    public static partial void VersionContinued(ILogger logger, string device, string label, long fleetVersion, long localVersion, string action);

    [LoggerMessage(EventId = 12, Level = LogLevel.Error, Message = "Device {Device} could not store {Count} received fleet entries; they are merged in memory and restored by the senders' next rebirth")]
    public static partial void SaveFailed(ILogger logger, Exception exception, string device, int count);

    [LoggerMessage(EventId = 13, Level = LogLevel.Error, Message = "Device {Device} could not continue the version of its class '{Label}'")]
    public static partial void ContinueFailed(ILogger logger, Exception exception, string device, string label);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "Device {Device} cannot rebuild its fleet prototypes: {Reason}")]
    public static partial void RebuildFailed(ILogger logger, string device, string reason);

    [LoggerMessage(EventId = 15, Level = LogLevel.Warning, Message = "Device {Device} discarded {Count} outbox rows that are not its own entries")]
    public static partial void OutboxDiscarded(ILogger logger, string device, long count);

    [LoggerMessage(EventId = 16, Level = LogLevel.Warning, Message = "Device {Device} ignored a command: {Reason} ({Detail}); nothing changed; further {Reason} commands are counted, not logged")]
    public static partial void CommandRejected(ILogger logger, string device, Commands.CommandRejectReason reason, string detail);

    [LoggerMessage(EventId = 27, Level = LogLevel.Warning, Message = "Device {Device} forgot its command nonces: {Problem}; commands sent before this start could be replayed until they expire (at most an hour)")]
    public static partial void CommandNoncesForgotten(ILogger logger, string device, string problem);

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Broker listening on {Address}:{Port}; {Retained} retained messages loaded")]
    public static partial void BrokerStarted(ILogger logger, string address, int port, int retained);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Broker refused {Action} by {Client} (user {User}) on {Topic}: not allowed by the per-device ACL")]
    public static partial void AclRefused(ILogger logger, string action, string client, string user, string topic);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "Broker refused connection of client {Client} (user {User}): {Reason}")]
    public static partial void ConnectionRefused(ILogger logger, string client, string user, string reason);

    [LoggerMessage(EventId = 24, Level = LogLevel.Information, Message = "Broker assigned client id {ClientId} to user {User}, who connected with an empty one")]
    public static partial void ClientIdAssigned(ILogger logger, string user, string clientId);

    [LoggerMessage(EventId = 25, Level = LogLevel.Warning, Message = "Broker refused publish by {Client} (user {User}) on {Topic}: {Bytes} bytes is over the {Limit}-byte limit")]
    public static partial void OversizedRefused(ILogger logger, string client, string user, string topic, long bytes, int limit);

    [LoggerMessage(EventId = 26, Level = LogLevel.Warning, Message = "Broker refused publish by {Client} (user {User}) on {Topic}: {Problem}")]
    public static partial void ContentRefused(ILogger logger, string client, string user, string topic, string problem);

    [LoggerMessage(EventId = 23, Level = LogLevel.Error, Message = "Writing retained messages to {Path} failed; they stay in memory and the next change retries")]
    public static partial void PersistFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 28, Level = LogLevel.Warning, Message = "Device {Device} ignored part of its aggregates file {Path}: {Problem}; the aggregators' retained messages bring it back at the next connect")]
    public static partial void AggregatesIgnored(ILogger logger, string device, string path, string problem);

    [LoggerMessage(EventId = 29, Level = LogLevel.Warning, Message = "Broker, client {Client}: {What}")]
    public static partial void ClientProtocol(ILogger logger, string client, string what);
}
