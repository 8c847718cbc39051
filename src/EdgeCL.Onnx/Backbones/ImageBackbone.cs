using System.Globalization;
using EdgeCL.Core.Vectors;
using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Images;
using EdgeCL.Onnx.Sessions;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Onnx.Backbones;

/// <summary>An image backbone: decode → resize → normalise → one ONNX model → embedding.</summary>
/// <remarks>Owns its session and buffers; not thread-safe; must be disposed.</remarks>
public sealed class ImageBackbone : IEmbeddingBackbone
{
    private readonly OnnxEmbeddingModel _model;
    private readonly ImagePreprocessor _preprocessor;

    /// <summary>Opens the backbone a manifest describes (files already verified by <see cref="BackboneCatalog"/>).</summary>
    /// <exception cref="ModelLoadException">The model cannot be loaded or does not fit the manifest.</exception>
    public ImageBackbone(BackboneManifest manifest, string manifestDirectory, SessionOptionsSpec sessionOptions, ILogger? logger = null, int maxBatch = 1)
        : this(manifest.Name, Path.Combine(manifestDirectory, manifest.Model),
            BackboneCatalog.ReadVerified(manifest, manifestDirectory, manifest.Model), manifest.Image
            ?? throw new ModelLoadException($"Backbone manifest '{manifest.Name}' has kind 'image' but no 'image' section; add width, height, channels, scale, mean and std."),
            manifest.Input, manifest.Output, manifest.EmbeddingDimension, sessionOptions, logger, maxBatch, fromManifest: true)
    {
    }

    private ImageBackbone(string name, string modelPath, byte[] bytes, ImagePreprocessing preprocessing, string? input, string? output, int expectedDimension,
        SessionOptionsSpec sessionOptions, ILogger? logger, int maxBatch, bool fromManifest)
    {
        try
        {
            _preprocessor = new ImagePreprocessor(preprocessing);
        }
        catch (ArgumentException ex)
        {
            throw new ModelLoadException($"Backbone '{name}' has invalid image preprocessing: {ex.Message}", ex);
        }
        OnnxSession session = OnnxSessionFactory.Create(bytes, modelPath, sessionOptions, null, logger);
        try
        {
            _model = new OnnxEmbeddingModel(session, input, output, maxBatch, modelPath);
        }
        catch
        {
            session.Dispose();
            throw;
        }
        if (_model.SampleSize != _preprocessor.SampleSize || (expectedDimension > 0 && expectedDimension != _model.Dimension))
        {
            _model.Dispose();
            // A bare .onnx takes its preprocessing from its own edgecl.image.* metadata: there is no manifest to fix.
            string fix = fromManifest
                ? $"the manifest says {expectedDimension}-d; fix the manifest"
                : "the preprocessing comes from the model's edgecl.image.* metadata; fix that metadata or write a backbone.json for the model (see models/README.md)";
            throw new ModelLoadException(
                $"Backbone '{name}': model input holds {_model.SampleSize} floats per sample and outputs {_model.Dimension}-d, but the preprocessing gives " +
                $"{_preprocessor.SampleSize} floats ({preprocessing.Channels}x{preprocessing.Height}x{preprocessing.Width}); {fix}.");
        }
        Name = name;
        ModelPath = modelPath;
        Preprocessing = preprocessing;
        SessionOptions = sessionOptions;
        Space = SpaceIdentity.Compute([bytes], _preprocessor.Describe() + ";out=" + _model.OutputName, _model.Dimension);
    }

    /// <summary>Opens a bare .onnx image model whose preprocessing is in its metadata (<c>edgecl.image.*</c>).</summary>
    /// <exception cref="ModelLoadException">The metadata is missing or the model does not fit.</exception>
    public static ImageBackbone FromModelFile(string modelPath, ImagePreprocessing preprocessing, SessionOptionsSpec sessionOptions, ILogger? logger = null, int maxBatch = 1) =>
        new(Path.GetFileNameWithoutExtension(modelPath), modelPath, BackboneCatalog.ReadModelBytes(modelPath), preprocessing, null, null, 0, sessionOptions, logger, maxBatch, fromManifest: false);

    /// <summary>Reads <c>edgecl.image.*</c> metadata into preprocessing settings, or null when there is none.</summary>
    /// <exception cref="ModelLoadException">The metadata is present but malformed.</exception>
    public static ImagePreprocessing? PreprocessingFromMetadata(IReadOnlyDictionary<string, string> metadata, string displayName)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.ContainsKey("edgecl.image.width"))
            return null;
        try
        {
            float[] Floats(string key, string fallback) => (metadata.TryGetValue(key, out string? v) ? v : fallback)
                .Split(',', StringSplitOptions.TrimEntries).Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            int Int(string key, string fallback) => int.Parse(metadata.TryGetValue(key, out string? v) ? v : fallback, CultureInfo.InvariantCulture);
            return new ImagePreprocessing
            {
                Width = Int("edgecl.image.width", "0"),
                Height = Int("edgecl.image.height", "0"),
                Channels = Int("edgecl.image.channels", "1"),
                Scale = Floats("edgecl.image.scale", "0.00392156862745098")[0],
                Mean = Floats("edgecl.image.mean", "0"),
                Std = Floats("edgecl.image.std", "1"),
            };
        }
        catch (FormatException ex)
        {
            throw new ModelLoadException($"Model '{displayName}' has malformed edgecl.image.* metadata ({ex.Message}); fix the export script.", ex);
        }
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public EmbeddingSpace Space { get; }

    /// <inheritdoc/>
    public ExecutionProvider ActiveProvider => _model.Session.ActiveProvider;

    /// <inheritdoc/>
    public IReadOnlyList<string> FileExtensions => ImageDecoder.Extensions;

    /// <summary>Channels the preprocessing takes (1 grey, 3 RGB): decode to this to avoid a conversion.</summary>
    public int Channels => _preprocessor.Channels;

    /// <summary>The model file.</summary>
    public string ModelPath { get; }

    /// <summary>The preprocessing settings.</summary>
    public ImagePreprocessing Preprocessing { get; }

    /// <summary>The session settings it was opened with.</summary>
    public SessionOptionsSpec SessionOptions { get; }

    /// <summary>The underlying model runner (batch slots, raw runs).</summary>
    public OnnxEmbeddingModel Model => _model;

    /// <inheritdoc/>
    public void EmbedFile(string path, Span<float> embedding) => EmbedImage(ImageDecoder.DecodeFile(path, _preprocessor.Channels), embedding);

    /// <summary>Embeds a decoded image.</summary>
    public void EmbedImage(DecodedImage image, Span<float> embedding)
    {
        ArgumentNullException.ThrowIfNull(image);
        image = ImageDecoder.ConvertChannels(image, _preprocessor.Channels);
        _preprocessor.Process(image, _model.InputSlot(0));
        _model.Run(1);
        CopyOut(0, embedding);
    }

    /// <summary>Embeds up to <see cref="OnnxEmbeddingModel.MaxBatch"/> files in one run; row i of <paramref name="embeddings"/> gets file i.</summary>
    public void EmbedFiles(IReadOnlyList<string> paths, Span<float> embeddings)
    {
        ArgumentNullException.ThrowIfNull(paths);
        CheckBatch(paths.Count, embeddings.Length);
        EmbedImages([.. paths.Select(p => ImageDecoder.DecodeFile(p, _preprocessor.Channels))], embeddings);
    }

    /// <summary>Embeds up to <see cref="OnnxEmbeddingModel.MaxBatch"/> decoded images in one run; row i of <paramref name="embeddings"/> gets image i.</summary>
    public void EmbedImages(IReadOnlyList<DecodedImage> images, Span<float> embeddings)
    {
        ArgumentNullException.ThrowIfNull(images);
        CheckBatch(images.Count, embeddings.Length);
        for (int i = 0; i < images.Count; i++)
            _preprocessor.Process(ImageDecoder.ConvertChannels(images[i], _preprocessor.Channels), _model.InputSlot(i));
        _model.Run(images.Count);
        for (int i = 0; i < images.Count; i++)
            CopyOut(i, embeddings.Slice(i * Space.Dimension, Space.Dimension));
    }

    private void CheckBatch(int count, int floats)
    {
        if (count is < 1 || count > _model.MaxBatch || floats != count * Space.Dimension)
            throw new ArgumentException($"A batch holds 1..{_model.MaxBatch} images and a span of images × {Space.Dimension} floats (got {count} and {floats}).");
    }

    private void CopyOut(int index, Span<float> embedding)
    {
        if (embedding.Length != Space.Dimension)
            throw new ArgumentException($"The embedding span has {embedding.Length} slots; this backbone outputs {Space.Dimension}.", nameof(embedding));
        ReadOnlySpan<float> e = _model.Embedding(index);
        // The preprocessed input is always finite (bytes scaled by a validated mean and std), so a NaN out is the model's.
        if (!VectorKernels.AllFinite(e))
            throw new ModelLoadException($"Backbone '{Name}' ('{ModelPath}') produced NaN or infinity at output {VectorKernels.IndexOfNonFinite(e)} from a valid input; the model is broken (NaN weights or an unstable graph): re-fetch it or use another backbone.");
        e.CopyTo(embedding);
    }

    /// <inheritdoc/>
    public void Dispose() => _model.Dispose();
}
