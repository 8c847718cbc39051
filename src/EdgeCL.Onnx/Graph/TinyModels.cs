namespace EdgeCL.Onnx.Graph;

/// <summary>
/// Small deterministic models built in-process, shared by test projects so that no test needs a model file.
/// Weights come from <see cref="Random"/> with the given seed (stable across .NET versions for seeded instances).
/// </summary>
public static class TinyModels
{
    /// <summary>Metadata key naming the embedding output; every tiny model sets it.</summary>
    public const string EmbeddingOutputKey = "edgecl.embedding_output";

    /// <summary>Batch dimension name used in every tiny model.</summary>
    public const string BatchDim = "N";

    /// <summary>
    /// <c>input</c> [N, inputDim] → Gemm(transB=1) with <c>weight</c> [outputDim, inputDim] and <c>bias</c> [outputDim]
    /// → <c>embedding</c> [N, outputDim]; i.e. <c>embedding = input · weightᵀ + bias</c>.
    /// </summary>
    public static TinyModel LinearEmbedder(int inputDim, int outputDim, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputDim);
        var random = new Random(seed);
        float[] weight = Uniform(random, outputDim * inputDim, -1 / MathF.Sqrt(inputDim), 1 / MathF.Sqrt(inputDim));
        float[] bias = Uniform(random, outputDim, -0.1f, 0.1f);
        byte[] bytes = new OnnxGraphBuilder("linear_embedder")
            .Opset(13)
            .Input("input", OnnxDataType.Float, BatchDim, inputDim)
            .Initializer("weight", weight, [outputDim, inputDim])
            .Initializer("bias", bias, [outputDim])
            .Node("Gemm", ["input", "weight", "bias"], ["embedding"], OnnxAttribute.FromInt("transB", 1))
            .Output("embedding", OnnxDataType.Float, BatchDim, outputDim)
            .Metadata(EmbeddingOutputKey, "embedding")
            .Build();
        return new TinyModel
        {
            Bytes = bytes,
            InputName = "input",
            InputShape = [-1, inputDim],
            OutputName = "embedding",
            OutputDim = outputDim,
            Weights = new Dictionary<string, float[]> { ["weight"] = weight, ["bias"] = bias },
        };
    }

    /// <summary>
    /// <c>image</c> [N, C, H, W] → Conv 3×3 pad 1 (<c>conv.weight</c>, <c>conv.bias</c>) → BatchNormalization
    /// (<c>bn.scale</c>, <c>bn.bias</c>, <c>bn.mean</c>, <c>bn.var</c>, epsilon 1e-5) → Relu → GlobalAveragePool
    /// → Flatten → <c>embedding</c> [N, features]. Opset 13.
    /// </summary>
    public static TinyModel ConvBnEmbedder(int channels, int height, int width, int features, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        var random = new Random(seed);
        float limit = 1 / MathF.Sqrt(channels * 9);
        var weights = new Dictionary<string, float[]>
        {
            ["conv.weight"] = Uniform(random, features * channels * 9, -limit, limit),
            ["conv.bias"] = Uniform(random, features, -0.1f, 0.1f),
            // Non-trivial statistics so that a BN rewrite that drops or swaps them changes the output.
            ["bn.scale"] = Uniform(random, features, 0.5f, 1.5f),
            ["bn.bias"] = Uniform(random, features, -0.2f, 0.3f),
            ["bn.mean"] = Uniform(random, features, -0.3f, 0.3f),
            ["bn.var"] = Uniform(random, features, 0.25f, 2f),
        };
        long[] perFeature = [features];
        byte[] bytes = new OnnxGraphBuilder("conv_bn_embedder")
            .Opset(13)
            .Input("image", OnnxDataType.Float, BatchDim, channels, height, width)
            .Initializer("conv.weight", weights["conv.weight"], [features, channels, 3, 3])
            .Initializer("conv.bias", weights["conv.bias"], perFeature)
            .Initializer("bn.scale", weights["bn.scale"], perFeature)
            .Initializer("bn.bias", weights["bn.bias"], perFeature)
            .Initializer("bn.mean", weights["bn.mean"], perFeature)
            .Initializer("bn.var", weights["bn.var"], perFeature)
            .Node("Conv", ["image", "conv.weight", "conv.bias"], ["conv"],
                OnnxAttribute.FromInts("kernel_shape", 3, 3),
                OnnxAttribute.FromInts("pads", 1, 1, 1, 1),
                OnnxAttribute.FromInts("strides", 1, 1))
            .Node("BatchNormalization", ["conv", "bn.scale", "bn.bias", "bn.mean", "bn.var"], ["bn"],
                OnnxAttribute.FromFloat("epsilon", 1e-5f))
            .Node("Relu", ["bn"], ["relu"])
            .Node("GlobalAveragePool", ["relu"], ["pooled"])
            .Node("Flatten", ["pooled"], ["embedding"], OnnxAttribute.FromInt("axis", 1))
            .Output("embedding", OnnxDataType.Float, BatchDim, features)
            .Metadata(EmbeddingOutputKey, "embedding")
            .Build();
        return new TinyModel
        {
            Bytes = bytes,
            InputName = "image",
            InputShape = [-1, channels, height, width],
            OutputName = "embedding",
            OutputDim = features,
            Weights = weights,
        };
    }

    /// <summary>
    /// A model whose output cannot be an embedding: <c>image</c> [N,1,4,4] → Relu → <c>features</c> [N,1,4,4] (4-D float),
    /// or with <paramref name="int64Output"/> <c>input</c> [N,4] → ArgMax → <c>embedding</c> [N,1] int64.
    /// </summary>
    public static TinyModel NotAnEmbedder(bool int64Output = false)
    {
        OnnxGraphBuilder builder = new OnnxGraphBuilder("not_an_embedder").Opset(13);
        if (int64Output)
        {
            builder.Input("input", OnnxDataType.Float, BatchDim, 4)
                .Node("ArgMax", ["input"], ["embedding"], OnnxAttribute.FromInt("axis", 1), OnnxAttribute.FromInt("keepdims", 1))
                .Output("embedding", OnnxDataType.Int64, BatchDim, 1)
                .Metadata(EmbeddingOutputKey, "embedding");
            return Tiny(builder, "input", [-1, 4], "embedding", 1);
        }
        builder.Input("image", OnnxDataType.Float, BatchDim, 1, 4, 4)
            .Node("Relu", ["image"], ["features"])
            .Output("features", OnnxDataType.Float, BatchDim, 1, 4, 4)
            .Metadata(EmbeddingOutputKey, "features");
        return Tiny(builder, "image", [-1, 1, 4, 4], "features", 16);
    }

    /// <summary><c>input</c> [N, dim] → Sub(x, x) → Div(0, 0) → <c>embedding</c> [N, dim]: NaN for every finite input.</summary>
    public static TinyModel NanEmbedder(int dim)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        OnnxGraphBuilder builder = new OnnxGraphBuilder("nan_embedder")
            .Opset(13)
            .Input("input", OnnxDataType.Float, BatchDim, dim)
            .Node("Sub", ["input", "input"], ["zero"])
            .Node("Div", ["zero", "zero"], ["embedding"])
            .Output("embedding", OnnxDataType.Float, BatchDim, dim)
            .Metadata(EmbeddingOutputKey, "embedding");
        return Tiny(builder, "input", [-1, dim], "embedding", dim);
    }

    private static TinyModel Tiny(OnnxGraphBuilder builder, string input, long[] shape, string output, int outputDim) => new()
    {
        Bytes = builder.Build(),
        InputName = input,
        InputShape = shape,
        OutputName = output,
        OutputDim = outputDim,
        Weights = new Dictionary<string, float[]>(),
    };

    private static float[] Uniform(Random random, int count, float low, float high)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = low + (float)random.NextDouble() * (high - low);
        }
        return values;
    }
}
