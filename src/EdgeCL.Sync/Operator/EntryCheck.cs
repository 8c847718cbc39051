using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Topics;

namespace EdgeCL.Sync.Operator;

/// <summary>Whether an operator view shows a retained entry: it decodes, matches its topic and (with a trust folder) its
/// signature verifies; otherwise why not, with the sync client's drop reason names.</summary>
internal static class EntryCheck
{
    /// <summary>The entry, or null when it is not shown; <paramref name="signature"/> is "valid" or "unchecked".</summary>
    public static FleetEntry? Check(FleetTopic topic, ReadOnlySpan<byte> payload, TrustStore? trust, out string signature)
    {
        signature = "unchecked";
        if (!FleetEntryCodec.TryDecode(payload, out FleetEntry? entry, out _) || entry.DeviceId != topic.Device || entry.Label != topic.Label || entry.SpaceId != topic.SpaceId)
            return null;
        if (trust is null)
            return entry;
        if (trust.VerifyPayload(entry.DeviceId, payload) != SignatureStatus.Valid)
            return null;
        signature = "valid";
        return entry;
    }

    /// <summary>Why <see cref="Check"/> refused a payload and what exactly was wrong.</summary>
    public static (string Reason, string Why) DropReason(FleetTopic topic, ReadOnlySpan<byte> payload, TrustStore? trust)
    {
        if (!FleetEntryCodec.TryDecode(payload, out FleetEntry? entry, out FleetDecodeError error))
            return error == FleetDecodeError.TooLarge ? ("oversized", $"{payload.Length} bytes") : ("malformed", $"does not decode ({error})");
        if (entry.DeviceId != topic.Device || entry.Label != topic.Label || entry.SpaceId != topic.SpaceId)
            return ("forged", $"payload is {entry.DeviceId}/{entry.SpaceId}/{entry.Label}, topic says {topic.Device}/{topic.SpaceId}/{topic.Label}");
        return trust?.VerifyPayload(entry.DeviceId, payload) == SignatureStatus.UnknownDevice
            ? ("unsigned", $"no key for device '{entry.DeviceId}' in the trust folder")
            : ("forged", $"signature does not verify with the key of '{entry.DeviceId}'");
    }
}
