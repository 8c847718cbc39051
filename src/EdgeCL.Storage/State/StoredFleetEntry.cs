using EdgeCL.Core.Fleet;

namespace EdgeCL.Storage.State;

/// <summary>A fleet entry as kept in the local store, with the signed payload it arrived in (when there was one).</summary>
/// <param name="Entry">The entry.</param>
/// <param name="Payload">The <see cref="FleetEntryCodec"/> payload it was decoded from, so it can be verified again or relayed; null when unknown.</param>
public readonly record struct StoredFleetEntry(FleetEntry Entry, byte[]? Payload);
