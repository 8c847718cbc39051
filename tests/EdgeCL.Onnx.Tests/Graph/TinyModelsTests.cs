using EdgeCL.Onnx.Graph;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeCL.Onnx.Tests.Graph;

public sealed class TinyModelsTests
{
    public static TheoryData<string> ModelNames => new() { "linear", "convbn", "not4d", "notint64", "nan" };

    internal static TinyModel ByName(string name) => name switch
    {
        "linear" => TinyModels.LinearEmbedder(8, 5, seed: 1),
        "convbn" => TinyModels.ConvBnEmbedder(3, 5, 6, 4, seed: 2),
        "not4d" => TinyModels.NotAnEmbedder(),
        "notint64" => TinyModels.NotAnEmbedder(int64Output: true),
        "nan" => TinyModels.NanEmbedder(6),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Fact]
    public void LinearEmbedder_RunInOrt_MatchesReferenceGemm()
    {
        TinyModel model = TinyModels.LinearEmbedder(8, 5, seed: 7);
        float[] x = Ort.RandomInput(3 * 8, seed: 1);

        Ort.Tensor y = Ort.Run(model.Bytes, model.InputName, x, [3, 8], model.OutputName);

        Assert.Equal([3L, 5L], y.Shape);
        Ort.AssertClose(Reference.Linear(model, x, 3), y.Data);
    }

    [Fact]
    public void ConvBnEmbedder_RunInOrt_MatchesReferenceConvBnReluPool()
    {
        TinyModel model = TinyModels.ConvBnEmbedder(3, 5, 6, 4, seed: 3);
        float[] x = Ort.RandomInput(2 * 3 * 5 * 6, seed: 2);

        Ort.Tensor y = Ort.Run(model.Bytes, model.InputName, x, [2, 3, 5, 6], model.OutputName);

        Assert.Equal([2L, 4L], y.Shape);
        float[] expected = Reference.ConvBn(model.Weights, x, 2, 3, 5, 6);
        Ort.AssertClose(expected, y.Data);
        Assert.Contains(expected, v => v > 0.01f); // ReLU did not zero everything: the check means something
    }

    [Fact]
    public void ConvBnEmbedder_SameSeed_SameBytesAndOtherSeedDiffers()
    {
        Assert.Equal(TinyModels.ConvBnEmbedder(2, 4, 4, 3, seed: 5).Bytes, TinyModels.ConvBnEmbedder(2, 4, 4, 3, seed: 5).Bytes);
        Assert.NotEqual(TinyModels.ConvBnEmbedder(2, 4, 4, 3, seed: 5).Bytes, TinyModels.ConvBnEmbedder(2, 4, 4, 3, seed: 6).Bytes);
    }

    [Fact]
    public void NotAnEmbedder_Default_Outputs4dFloat()
    {
        TinyModel model = TinyModels.NotAnEmbedder();

        Ort.Tensor y = Ort.Run(model.Bytes, model.InputName, Ort.RandomInput(2 * 16, seed: 3), [2, 1, 4, 4], model.OutputName);

        Assert.Equal([2L, 1L, 4L, 4L], y.Shape);
    }

    [Fact]
    public void NotAnEmbedder_Int64_OutputsInt64()
    {
        TinyModel model = TinyModels.NotAnEmbedder(int64Output: true);

        Assert.Equal(TensorElementType.Int64, Ort.OutputType(model.Bytes, model.OutputName));
    }

    [Fact]
    public void NanEmbedder_RunInOrt_OutputsOnlyNaN()
    {
        TinyModel model = TinyModels.NanEmbedder(6);

        Ort.Tensor y = Ort.Run(model.Bytes, model.InputName, Ort.RandomInput(2 * 6, seed: 4), [2, 6], model.OutputName);

        Assert.Equal(12, y.Data.Length);
        Assert.All(y.Data, v => Assert.True(float.IsNaN(v)));
    }

    [Theory]
    [MemberData(nameof(ModelNames))]
    public void TinyModel_Metadata_NamesTheEmbeddingOutput(string name)
    {
        TinyModel tiny = ByName(name);

        OnnxModel model = OnnxModel.Parse(tiny.Bytes);

        Assert.Equal(tiny.OutputName, model.GetMetadata(TinyModels.EmbeddingOutputKey));
        Assert.NotNull(model.Graph!.FindOutput(tiny.OutputName));
        Assert.Equal(tiny.InputName, Assert.Single(model.Graph.Inputs).Name);
        Assert.Equal(13, model.OpsetVersion());
    }

    [Theory]
    [MemberData(nameof(ModelNames))]
    public void TinyModel_Weights_EqualTheInitializers(string name)
    {
        TinyModel tiny = ByName(name);
        OnnxGraph graph = OnnxModel.Parse(tiny.Bytes).Graph!;

        Assert.Equal(tiny.Weights.Count, graph.Initializers.Count);
        foreach ((string key, float[] values) in tiny.Weights)
        {
            Assert.Equal(values, graph.GetInitializerFloats(key));
        }
    }
}
