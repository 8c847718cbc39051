namespace EdgeCL.Core.Learning;

/// <summary>
/// A learner whose test-time adaptation state (what it learned from unlabelled samples) can be saved and restored, so a
/// device resumes adapting where it stopped after a restart or a crash.
/// </summary>
/// <remarks>
/// <para>A checkpoint holds only adaptation state, never labelled knowledge (that lives in the state store and is
/// replayed through <see cref="IStreamLearner.Learn"/>), so it can be restored into a learner rebuilt after the labelled
/// classes changed; rows tied to classes the learner no longer knows are dropped on restore.</para>
/// <para>The bytes carry a magic, a format version, the learner name, the space id and a CRC-32.</para>
/// </remarks>
public interface IAdaptationCheckpoint
{
    /// <summary>Serialises the adaptation state.</summary>
    byte[] SaveAdaptation();

    /// <summary>Replaces the adaptation state with a checkpoint's.</summary>
    /// <exception cref="Errors.StateFormatException">The bytes are corrupt, truncated, of another learner or of another embedding space; the learner is unchanged.</exception>
    void RestoreAdaptation(ReadOnlySpan<byte> checkpoint);
}
