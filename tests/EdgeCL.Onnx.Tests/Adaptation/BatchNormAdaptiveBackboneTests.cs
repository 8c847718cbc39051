using EdgeCL.Onnx.Adaptation;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Graph;
using EdgeCL.Onnx.Sessions;
using EdgeCL.Onnx.Tests.Graph;
using EdgeCL.Tests.Shared;

namespace EdgeCL.Onnx.Tests.Adaptation;

public sealed class BatchNormAdaptiveBackboneTests
{
    private static readonly ImagePreprocessing Digits = new() { Width = 28, Height = 28, Channels = 1, Scale = 1f / 255, Mean = [0.1307f], Std = [0.3081f] };
    private static readonly SessionOptionsSpec Options = new();

    private static BatchNormAdaptiveBackbone Open(float momentum = BatchNormAdaptiveBackbone.DefaultMomentum) =>
        new(File.ReadAllBytes(BatchNormStatisticsRewriteTests.DigitsModel), "digits", Digits, "image", "embedding", Options, momentum);

    [Fact]
    public void Run_PredictOnly_MatchesOriginalModelAndKeepsThePrior()
    {
        using BatchNormAdaptiveBackbone backbone = Open();
        float[] x = Ort.RandomInput(784, seed: 3);
        x.CopyTo(backbone.InputSlot);
        Assert.True(backbone.Run(adapt: false));
        float[] expected = Ort.Run(File.ReadAllBytes(BatchNormStatisticsRewriteTests.DigitsModel), "image", x, [1, 1, 28, 28], "embedding").Data;
        Ort.AssertClose(expected, backbone.Embedding.ToArray(), 1e-5f);
        for (int i = 0; i < backbone.Layers.Count; i++)
            Assert.Equal(backbone.Layers[i].SourceMean, backbone.Mean(i).ToArray());
        Assert.Equal(0, backbone.Updates);
    }

    [Fact]
    public void Run_Adapt_UpdatesEstimatesByEmaAndNextRunUsesThem()
    {
        using BatchNormAdaptiveBackbone backbone = Open(momentum: 0.5f);
        float[] x = Ort.RandomInput(784, seed: 5);
        x.CopyTo(backbone.InputSlot);
        Assert.True(backbone.Run(adapt: true));
        float[] first = backbone.Embedding.ToArray();
        for (int i = 0; i < backbone.Layers.Count; i++)
        {
            BatchNormLayer l = backbone.Layers[i];
            float[] bm = backbone.BatchMean(i).ToArray(), bv = backbone.BatchVariance(i).ToArray();
            for (int c = 0; c < l.Channels; c++)
            {
                float d = bm[c] - l.SourceMean[c];
                Assert.Equal(l.SourceMean[c] + 0.5f * d, backbone.Mean(i)[c], 1e-5f);
                Assert.Equal(0.5f * (l.SourceVariance[c] + 0.5f * d * d) + 0.5f * bv[c], backbone.Variance(i)[c], 1e-4f);
            }
        }
        // Online protocol: the same sample again now embeds under the updated statistics.
        Assert.True(backbone.Run(adapt: false));
        Assert.NotEqual(first, backbone.Embedding.ToArray());
        backbone.Reset();
        Assert.True(backbone.Run(adapt: false));
        Ort.AssertClose(first, backbone.Embedding.ToArray(), 1e-6f);
        Assert.Equal(backbone.Layers[0].SourceVariance, backbone.Variance(0).ToArray());
    }

    [Fact]
    public void Run_NonFiniteInput_RefusesTheUpdateAndKeepsState()
    {
        using BatchNormAdaptiveBackbone backbone = Open();
        backbone.InputSlot.Fill(float.NaN);
        Assert.False(backbone.Run(adapt: true));
        Assert.Equal(1, backbone.Refused);
        Assert.Equal(0, backbone.Updates);
        for (int i = 0; i < backbone.Layers.Count; i++)
            Assert.Equal(backbone.Layers[i].SourceMean, backbone.Mean(i).ToArray());
    }

    [Fact]
    public void Run_AfterWarmUp_AllocatesNothing()
    {
        using BatchNormAdaptiveBackbone backbone = Open();
        Ort.RandomInput(784, seed: 6).CopyTo(backbone.InputSlot);
        Assert.Equal(0, SteadyAllocation.Bytes(() =>
        {
            for (int i = 0; i < 20; i++) backbone.Run(adapt: i % 2 == 0);
        }));
    }

    [Fact]
    public void Constructor_ModelWithoutBatchNorm_ThrowsModelLoadException()
    {
        var ex = Assert.Throws<ModelLoadException>(() => new BatchNormAdaptiveBackbone(TinyModels.LinearEmbedder(4, 2, 1).Bytes, "linear",
            new ImagePreprocessing { Width = 2, Height = 2, Channels = 1 }, null, null, Options));
        Assert.Contains("has no BatchNormalization nodes", ex.Message, StringComparison.Ordinal);
    }
}
