namespace EdgeCL.Core.Fleet;

/// <summary>Why <see cref="FleetEntryCodec.TryDecode"/> rejected a payload.</summary>
public enum FleetDecodeError
{
    /// <summary>The payload decoded.</summary>
    None,

    /// <summary>The payload ends before a field it announces.</summary>
    Truncated,

    /// <summary>The payload is larger than <see cref="FleetLimits.MaxPayloadBytes"/>.</summary>
    TooLarge,

    /// <summary>The payload does not start with the fleet-entry magic.</summary>
    BadMagic,

    /// <summary>The payload has a format version this build does not read.</summary>
    UnsupportedFormatVersion,

    /// <summary>The vector type byte is unknown.</summary>
    UnknownVectorType,

    /// <summary>The space id is empty, too long or not canonical hex.</summary>
    BadSpaceId,

    /// <summary>The device id is empty, too long or has characters outside A-Z a-z 0-9 . _ -.</summary>
    BadDeviceId,

    /// <summary>The label is empty, too long, not UTF-8, untrimmed or has control characters.</summary>
    BadLabel,

    /// <summary>A variable-length integer is over-long or out of range.</summary>
    BadInteger,

    /// <summary>The version is below 1.</summary>
    BadVersion,

    /// <summary>The count is above <see cref="FleetLimits.MaxCount"/>.</summary>
    BadCount,

    /// <summary>The dimension is above <see cref="FleetLimits.MaxDimension"/>, or zero for a live entry.</summary>
    BadDimension,

    /// <summary>Tombstone and vector disagree: a tombstone with a vector, or a live entry without one.</summary>
    TombstoneMismatch,

    /// <summary>A vector element is NaN or infinite.</summary>
    NonFiniteValue,

    /// <summary>Bytes remain between the vector and the signature.</summary>
    TrailingBytes,

    /// <summary>An aggregate's merge policy is unknown, out of range, or the count does not fit it.</summary>
    BadPolicy,

    /// <summary>A batch signature's tree size is 0 or above <see cref="Signing.SignedPayload.MaxBatchSize"/>, or its leaf index is not below the size.</summary>
    BadBatchProof,
}
