namespace EdgeCL.Eval.Shifts;

/// <summary>Other clips of the dataset, mixed together as babble noise.</summary>
public interface IBabbleSource
{
    /// <summary>Clips available.</summary>
    int Count { get; }

    /// <summary>Clip <paramref name="index"/> as int16-scale PCM at the backbone's sample rate.</summary>
    float[] Clip(int index);
}
