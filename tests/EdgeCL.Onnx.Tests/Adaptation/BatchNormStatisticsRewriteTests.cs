using EdgeCL.Onnx.Adaptation;
using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Graph;
using EdgeCL.Onnx.Tests.Graph;

namespace EdgeCL.Onnx.Tests.Adaptation;

public sealed class BatchNormStatisticsRewriteTests
{
    internal static string DigitsModel { get; } = Path.Combine(RepoRoot(), "models", "digits", "digits-cnn.onnx");

    [Fact]
    public void Apply_ConvBnEmbedderFedSourceStatistics_ReproducesEmbeddingAndBatchStatistics()
    {
        TinyModel tiny = TinyModels.ConvBnEmbedder(2, 5, 4, 3, seed: 4);
        CheckRewrite(tiny.Bytes, "image", [3, 2, 5, 4], "embedding", expectedLayers: 1);
    }

    [Fact]
    public void Apply_DigitsCnnFedSourceStatistics_ReproducesEmbeddingAndBatchStatistics()
    {
        CheckRewrite(File.ReadAllBytes(DigitsModel), "image", [2, 1, 28, 28], "embedding", expectedLayers: 6);
    }

    [Fact]
    public void Apply_ModelWithoutBatchNorm_ThrowsModelLoadExceptionNamingTheFix()
    {
        var ex = Assert.Throws<ModelLoadException>(() => BatchNormStatisticsRewrite.Apply(TinyModels.LinearEmbedder(3, 2, 1).Bytes, "linear"));
        Assert.Equal("'linear' has no BatchNormalization nodes; BN-statistics adaptation needs a model exported with BN kept as nodes (see models/digits/train.py).", ex.Message);
    }

    [Fact]
    public void Apply_DigitsCnn_StatisticsBecomeInputsAndPriorsAreTheInitializers()
    {
        byte[] original = File.ReadAllBytes(DigitsModel);
        BatchNormRewriteResult result = BatchNormStatisticsRewrite.Apply(original, "digits");
        OnnxGraph source = OnnxModel.Parse(original).Graph!, graph = OnnxModel.Parse(result.Model).Graph!;
        IReadOnlyList<OnnxNode> bns = source.BatchNormalizationNodes();
        for (int i = 0; i < bns.Count; i++)
        {
            Assert.Equal(source.GetInitializerFloats(bns[i].Inputs[3]), result.Layers[i].SourceMean);
            Assert.Equal(source.GetInitializerFloats(bns[i].Inputs[4]), result.Layers[i].SourceVariance);
            Assert.Null(graph.FindInitializer(bns[i].Inputs[3]));
            Assert.NotNull(graph.FindInput(result.Layers[i].MeanInput));
            Assert.NotNull(graph.FindOutput(result.Layers[i].BatchVarianceOutput));
        }
        Assert.Equal(96, result.Layers[^1].Channels); // the BN on [N, 96] after the MatMul
    }

    private static void CheckRewrite(byte[] original, string input, long[] shape, string output, int expectedLayers)
    {
        BatchNormRewriteResult result = BatchNormStatisticsRewrite.Apply(original, "model");
        Assert.Equal(expectedLayers, result.Layers.Count);
        float[] x = Ort.RandomInput((int)shape.Aggregate(1L, (a, b) => a * b), seed: 11);

        // The original model with every BN input X exposed, for the reference statistics.
        OnnxModel exposed = OnnxModel.Parse(original);
        List<string> bnInputs = exposed.Graph!.BatchNormalizationNodes().Select(n => n.Inputs[0]).ToList();
        foreach (string name in bnInputs) exposed.Graph.AddOutput(name, OnnxDataType.Float, null);
        IReadOnlyList<Ort.Tensor> reference = Ort.Run(exposed.ToByteArray(),
            new Dictionary<string, Ort.Tensor> { [input] = new(x, shape) }, [output, .. bnInputs]);

        var feeds = new Dictionary<string, Ort.Tensor> { [input] = new(x, shape) };
        foreach (BatchNormLayer l in result.Layers)
        {
            feeds[l.MeanInput] = new(l.SourceMean, [l.Channels]);
            feeds[l.VarianceInput] = new(l.SourceVariance, [l.Channels]);
        }
        IReadOnlyList<Ort.Tensor> actual = Ort.Run(result.Model, feeds,
            [output, .. result.Layers.SelectMany(l => new[] { l.BatchMeanOutput, l.BatchVarianceOutput })]);

        Ort.AssertClose(reference[0].Data, actual[0].Data, 1e-5f);
        for (int i = 0; i < result.Layers.Count; i++)
        {
            (float[] mean, float[] variance) = Statistics(reference[1 + i]);
            Ort.AssertClose(mean, actual[1 + 2 * i].Data, 1e-4f);
            Ort.AssertClose(variance, actual[2 + 2 * i].Data, 1e-4f);
        }
    }

    /// <summary>Per-channel mean and biased variance over every axis but 1, in double.</summary>
    internal static (float[] Mean, float[] Variance) Statistics(Ort.Tensor t)
    {
        long n = t.Shape[0], c = t.Shape[1], inner = t.Data.Length / (n * c);
        float[] mean = new float[c], variance = new float[c];
        for (long ch = 0; ch < c; ch++)
        {
            double sum = 0, sq = 0;
            for (long b = 0; b < n; b++)
                for (long k = 0; k < inner; k++) sum += t.Data[(b * c + ch) * inner + k];
            double m = sum / (n * inner);
            for (long b = 0; b < n; b++)
                for (long k = 0; k < inner; k++) { double d = t.Data[(b * c + ch) * inner + k] - m; sq += d * d; }
            mean[ch] = (float)m;
            variance[ch] = (float)(sq / (n * inner));
        }
        return (mean, variance);
    }

    private static string RepoRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
            if (File.Exists(Path.Combine(dir, "EdgeCL.sln")) && Directory.Exists(Path.Combine(dir, "models")))
                return dir;
        throw new InvalidOperationException($"Cannot find the repository root (EdgeCL.sln) above {AppContext.BaseDirectory}.");
    }
}
