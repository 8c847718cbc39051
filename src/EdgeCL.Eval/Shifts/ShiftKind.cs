namespace EdgeCL.Eval.Shifts;

/// <summary>What a shift applies to.</summary>
public enum ShiftKind
{
    /// <summary>No shift (the clean source domain).</summary>
    None,

    /// <summary>Int16-scale PCM before the speech front end.</summary>
    Audio,

    /// <summary>The decoded 8-bit image before preprocessing.</summary>
    Image,
}
