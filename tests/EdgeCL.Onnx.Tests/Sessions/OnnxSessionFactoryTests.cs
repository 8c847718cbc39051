using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Graph;
using EdgeCL.Onnx.Sessions;
using EdgeCL.Tests.Shared;

namespace EdgeCL.Onnx.Tests.Sessions;

public class OnnxSessionFactoryTests
{
    private static readonly TinyModel Linear = TinyModels.LinearEmbedder(4, 3, seed: 1);

    [Theory]
    [InlineData("cuda,cpu", "Cuda")]
    [InlineData("tensorrt,cuda,dml,cpu", "TensorRt")]
    [InlineData("dml,cpu", "DirectMl")]
    [InlineData("openvino,xnnpack,cpu", "OpenVino")]
    public void Create_AcceleratorMissingFromBuild_FallsBackToCpuAndSaysWhy(string chain, string firstSkipped)
    {
        var spec = new SessionOptionsSpec { Providers = SessionOptionsSpec.ParseChain(chain) };
        using OnnxSession session = OnnxSessionFactory.Create(Linear.Bytes, "linear", spec);
        Assert.Equal(ExecutionProvider.Cpu, session.ActiveProvider);
        Assert.StartsWith(firstSkipped + ":", session.SkippedProviders[0]);
        Assert.Equal(SessionOptionsSpec.ParseChain(chain).Count - 1, session.SkippedProviders.Count);
    }

    [Fact]
    public void Create_ChainWithoutCpu_StillEndsOnCpu()
    {
        var spec = new SessionOptionsSpec { Providers = [ExecutionProvider.Cuda] };
        using OnnxSession session = OnnxSessionFactory.Create(Linear.Bytes, "linear", spec);
        Assert.Equal(ExecutionProvider.Cpu, session.ActiveProvider);
    }

    [Fact]
    public void Create_SelfTestThrowsOnCpu_PropagatesTheError()
    {
        var ex = Assert.Throws<InvalidOperationException>(() =>
            OnnxSessionFactory.Create(Linear.Bytes, "linear", SessionOptionsSpec.Default, _ => throw new InvalidOperationException("boom")));
        Assert.Equal("boom", ex.Message);
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda,,warp")]
    [InlineData(" , ")]
    public void ParseChain_UnknownOrEmpty_ListsKnownNames(string chain)
    {
        var ex = Assert.Throws<ArgumentException>(() => SessionOptionsSpec.ParseChain(chain));
        Assert.True(ex.Message.Contains("tensorrt, cuda, dml", StringComparison.Ordinal) || ex.Message.Contains("empty", StringComparison.Ordinal));
    }

    [Fact]
    public void Create_BadModelFiles_ClearOneLineErrors()
    {
        using var dir = new TempDirectory();
        var missing = Assert.Throws<ModelLoadException>(() => OnnxSessionFactory.Create(dir.File("nope.onnx"), SessionOptionsSpec.Default));
        Assert.Contains("does not exist", missing.Message);

        File.WriteAllBytes(dir.File("empty.onnx"), []);
        Assert.Contains("is empty", Assert.Throws<ModelLoadException>(() => OnnxSessionFactory.Create(dir.File("empty.onnx"), SessionOptionsSpec.Default)).Message);

        File.WriteAllText(dir.File("text.onnx"), "this is not a model");
        Assert.Contains("not an ONNX model", Assert.Throws<ModelLoadException>(() => OnnxSessionFactory.Create(dir.File("text.onnx"), SessionOptionsSpec.Default)).Message);

        File.WriteAllBytes(dir.File("truncated.onnx"), Linear.Bytes[..(Linear.Bytes.Length / 2)]);
        var truncated = Assert.Throws<ModelLoadException>(() => OnnxSessionFactory.Create(dir.File("truncated.onnx"), SessionOptionsSpec.Default));
        Assert.Contains("truncated or corrupt", truncated.Message);
        Assert.DoesNotContain('\n', truncated.Message);
    }

    [Fact]
    public void OnnxEmbeddingModel_Batches_MatchReferenceAndAllocateNothing()
    {
        using OnnxSession session = OnnxSessionFactory.Create(Linear.Bytes, "linear", SessionOptionsSpec.Default);
        var model = new OnnxEmbeddingModel(session, null, null, maxBatch: 4, "linear");
        float[] w = Linear.Weights["weight"], b = Linear.Weights["bias"];
        for (int s = 0; s < 3; s++)
            for (int j = 0; j < 4; j++)
                model.InputSlot(s)[j] = s + 0.25f * j;
        model.Run(3);
        for (int s = 0; s < 3; s++)
            for (int o = 0; o < 3; o++)
            {
                float expected = b[o];
                for (int j = 0; j < 4; j++) expected += w[o * 4 + j] * (s + 0.25f * j);
                Assert.Equal(expected, model.Embedding(s)[o], 4);
            }
        model.Run(1);
        Assert.Equal(0, SteadyAllocation.Bytes(() =>
        {
            for (int i = 0; i < 100; i++) model.Run(3);
        }));
    }

    [Fact]
    public void OnnxEmbeddingModel_OutputNotAnEmbedding_Refused()
    {
        foreach (bool int64 in new[] { false, true })
        {
            TinyModel bad = TinyModels.NotAnEmbedder(int64);
            OnnxSession session = OnnxSessionFactory.Create(bad.Bytes, "bad", SessionOptionsSpec.Default);
            var ex = Assert.Throws<ModelLoadException>(() => new OnnxEmbeddingModel(session, null, null, 1, "bad"));
            Assert.Contains("not an embedding", ex.Message);
            session.Dispose();
        }
    }
}
