namespace EdgeCL.Core.Rollout;

/// <summary>One kept example of a class: its raw input, for the next backbone to re-embed, and its embedding in the store's space.</summary>
/// <param name="Sequence">Order of arrival in its store (unique, increasing): the key a state database keeps it under.</param>
/// <param name="Label">The class.</param>
/// <param name="Input">
/// The raw input the backbone reads (e.g. 16-bit PCM of a 1.5 s clip, 48 KB; an encoded image). Raw, not features: only the
/// input survives a change of backbone, preprocessing included.
/// </param>
/// <param name="Embedding">Its embedding in the store's space: one side of the pairs a <see cref="SpaceMap"/> is fitted on, and the
/// part of its class's mean that a migration replaces by the new embedding.</param>
public sealed record Exemplar(long Sequence, string Label, byte[] Input, float[] Embedding)
{
    /// <summary>Bookkeeping counted per exemplar on top of its data (sequence, lengths, a row's overhead), so a budget of many tiny inputs stays honest.</summary>
    public const int OverheadBytes = 64;

    /// <summary>What this exemplar costs against a budget: input + embedding (4 B a value) + label (2 B a character) + <see cref="OverheadBytes"/>.</summary>
    public long Bytes => Input.LongLength + 4L * Embedding.Length + 2L * Label.Length + OverheadBytes;
}
