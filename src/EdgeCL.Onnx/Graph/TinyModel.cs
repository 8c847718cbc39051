namespace EdgeCL.Onnx.Graph;

/// <summary>A model from <see cref="TinyModels"/>: its bytes plus what a test needs to feed it and check it.</summary>
public sealed class TinyModel
{
    /// <summary>The .onnx bytes.</summary>
    public required byte[] Bytes { get; init; }

    /// <summary>The only graph input.</summary>
    public required string InputName { get; init; }

    /// <summary>Input shape; <c>-1</c> marks the batch dimension.</summary>
    public required IReadOnlyList<long> InputShape { get; init; }

    /// <summary>The output named in the <c>edgecl.embedding_output</c> metadata.</summary>
    public required string OutputName { get; init; }

    /// <summary>Length of one output row (the embedding dimension).</summary>
    public required int OutputDim { get; init; }

    /// <summary>Every float initializer by name, so that tests can compute the expected output.</summary>
    public required IReadOnlyDictionary<string, float[]> Weights { get; init; }
}
