namespace EdgeCL.Eval.Data;

/// <summary>What a dataset's samples are.</summary>
public enum DatasetKind
{
    /// <summary>WAV files (speech backbones).</summary>
    Audio,

    /// <summary>Image files (image backbones).</summary>
    Image,

    /// <summary>Rows of a float32 .npy matrix with a labels file (no backbone).</summary>
    Embeddings,
}
