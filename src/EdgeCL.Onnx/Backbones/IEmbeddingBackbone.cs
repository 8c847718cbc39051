using EdgeCL.Core.Vectors;
using EdgeCL.Onnx.Sessions;

namespace EdgeCL.Onnx.Backbones;

/// <summary>
/// A frozen backbone with its front end: turns one input (file, PCM clip, image, tensor) into one embedding.
/// </summary>
/// <remarks>
/// Implementations own their ORT sessions and pre-allocated buffers and must be disposed.
/// They are not safe for concurrent calls: each keeps one set of input/output buffers (no allocation per sample).
/// Use one instance per thread.
/// </remarks>
public interface IEmbeddingBackbone : IDisposable
{
    /// <summary>The backbone's name (manifest name, or the model file name).</summary>
    string Name { get; }

    /// <summary>The embedding space: hash of model bytes + preprocessing, and the dimension.</summary>
    EmbeddingSpace Space { get; }

    /// <summary>The execution provider the session runs on after the chain's self-test.</summary>
    ExecutionProvider ActiveProvider { get; }

    /// <summary>File extensions (lower case, with dot) that <see cref="EmbedFile"/> accepts.</summary>
    IReadOnlyList<string> FileExtensions { get; }

    /// <summary>Reads, preprocesses and embeds one file into <paramref name="embedding"/> (length = Space.Dimension).</summary>
    /// <exception cref="Errors.InputFormatException">The file cannot be decoded or does not fit the front end.</exception>
    void EmbedFile(string path, Span<float> embedding);
}
