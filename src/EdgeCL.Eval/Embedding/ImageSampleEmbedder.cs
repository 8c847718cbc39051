using System.Diagnostics;
using EdgeCL.Core.Evaluation;
using EdgeCL.Core.Vectors;
using EdgeCL.Eval.Data;
using EdgeCL.Eval.Shifts;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Images;

namespace EdgeCL.Eval.Embedding;

/// <summary>Image file → decode → (corruption on the 8-bit image) → <see cref="ImageBackbone.EmbedImage"/>.</summary>
/// <remarks>Front end = reading, decoding and corrupting; backbone = resize/normalise + model run. Not thread-safe.</remarks>
public sealed class ImageSampleEmbedder : ISampleEmbedder
{
    private readonly ImageBackbone _backbone;
    private readonly long _runSeed;

    /// <summary>Creates the embedder.</summary>
    public ImageSampleEmbedder(ImageBackbone backbone, long runSeed)
    {
        _backbone = backbone;
        _runSeed = runSeed;
    }

    /// <inheritdoc/>
    public EmbeddingSpace Space => _backbone.Space;

    /// <inheritdoc/>
    public LatencyRecorder FrontEnd { get; } = new();

    /// <inheritdoc/>
    public LatencyRecorder Backbone { get; } = new();

    /// <summary>The decoded 8-bit image of <paramref name="item"/> under <paramref name="shift"/>, exactly as <see cref="Embed"/> feeds the backbone (same corruption seed).</summary>
    public DecodedImage Render(DatasetItem item, ShiftSpec shift)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(shift);
        DecodedImage image = ImageDecoder.DecodeFile(item.Path, _backbone.Channels);
        return shift.IsClean ? image : ImageCorruptions.Apply(shift, image, DeterministicRandom.Derive(_runSeed, "shift:" + shift.DomainName + ":" + item.Key));
    }

    /// <inheritdoc/>
    public void Embed(DatasetItem item, int itemIndex, ShiftSpec shift, Span<float> destination)
    {
        long start = Stopwatch.GetTimestamp();
        DecodedImage image = Render(item, shift);
        long mid = Stopwatch.GetTimestamp();
        _backbone.EmbedImage(image, destination);
        long end = Stopwatch.GetTimestamp();
        FrontEnd.Add(Stopwatch.GetElapsedTime(start, mid).TotalMilliseconds);
        Backbone.Add(Stopwatch.GetElapsedTime(mid, end).TotalMilliseconds);
    }
}
