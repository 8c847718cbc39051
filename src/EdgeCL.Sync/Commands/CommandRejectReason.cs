namespace EdgeCL.Sync.Commands;

/// <summary>Why a device did not act on a command (one line per reason is logged, every one counted; the state is unchanged).</summary>
public enum CommandRejectReason
{
    /// <summary>Not signed (a version-1 command), or signed by an operator this device has no key for.</summary>
    Unsigned,

    /// <summary>The signature does not verify, or the signed body is for another fleet or device.</summary>
    Forged,

    /// <summary>A correctly signed command whose nonce was already seen.</summary>
    Replayed,

    /// <summary>A correctly signed command past its expiry.</summary>
    Expired,

    /// <summary>A correctly signed, new command whose nonce could not be written to the state folder (a full disk): not
    /// acted on, since it could then be replayed after a restart.</summary>
    Unrecorded,

    /// <summary>Not a command: bad JSON, unknown kind, missing fields, oversized, an expiry too far ahead.</summary>
    Malformed,
}
