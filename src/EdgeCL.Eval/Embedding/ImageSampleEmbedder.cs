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
public sealed class ImageSampleEmbedder : IBatchSampleEmbedder
{
    private readonly ImageBackbone _backbone;
    private readonly long _runSeed;
    private readonly List<DecodedImage> _images = [];

    /// <summary>Creates the embedder.</summary>
    /// <param name="backbone">The backbone (opened with at least <paramref name="batch"/> batch slots).</param>
    /// <param name="runSeed">Seed of the corruptions.</param>
    /// <param name="batch">Images per backbone run in <see cref="EmbedBatch"/>.</param>
    public ImageSampleEmbedder(ImageBackbone backbone, long runSeed, int batch = 1)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        _backbone = backbone;
        _runSeed = runSeed;
        Batch = Math.Clamp(batch, 1, backbone.Model.MaxBatch);
    }

    /// <inheritdoc/>
    public int Batch { get; }

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

    /// <inheritdoc/>
    /// <remarks>The backbone time of the run is shared equally by its samples in <see cref="Backbone"/>.</remarks>
    public void EmbedBatch(IReadOnlyList<(DatasetItem Item, ShiftSpec Shift)> samples, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(samples);
        _images.Clear();
        foreach ((DatasetItem item, ShiftSpec shift) in samples)
        {
            long start = Stopwatch.GetTimestamp();
            _images.Add(Render(item, shift));
            FrontEnd.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        long mid = Stopwatch.GetTimestamp();
        _backbone.EmbedImages(_images, destination);
        double each = Stopwatch.GetElapsedTime(mid).TotalMilliseconds / samples.Count;
        for (int i = 0; i < samples.Count; i++)
            Backbone.Add(each);
        _images.Clear();
    }
}
