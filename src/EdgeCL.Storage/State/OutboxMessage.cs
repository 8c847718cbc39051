namespace EdgeCL.Storage.State;

/// <summary>One message waiting in the sync outbox.</summary>
/// <param name="Sequence">Increasing id; never reused, even after acknowledged messages are deleted.</param>
/// <param name="Payload">The bytes to publish (a <see cref="Core.Fleet.FleetEntryCodec"/> payload for prototype changes).</param>
/// <param name="Created">When the change that the message announces was committed.</param>
public sealed record OutboxMessage(long Sequence, byte[] Payload, DateTimeOffset Created);
