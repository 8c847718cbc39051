using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Graph;
using static EdgeCL.Onnx.Tests.Graph.RawProto;

namespace EdgeCL.Onnx.Tests.Graph;

public sealed class OnnxGraphTests
{
    private const int C = 2, H = 4, W = 5, F = 3, N = 2;

    private static TinyModel ConvBn() => TinyModels.ConvBnEmbedder(C, H, W, F, seed: 21);

    [Fact]
    public void FindNodeByOutput_ConvBn_ReturnsProducerOrNull()
    {
        OnnxGraph graph = OnnxModel.Parse(ConvBn().Bytes).Graph!;

        Assert.Equal("Relu", graph.FindNodeByOutput("relu")!.OpType);
        Assert.Null(graph.FindNodeByOutput("image"));
        Assert.Null(graph.FindNodeByOutput("bn.mean"));
    }

    [Fact]
    public void FindConsumers_ConvOutput_ReturnsBatchNormalization()
    {
        OnnxGraph graph = OnnxModel.Parse(ConvBn().Bytes).Graph!;

        Assert.Equal(OnnxGraph.BatchNormalization, Assert.Single(graph.FindConsumers("conv")).OpType);
    }

    [Fact]
    public void BatchNormalizationNodes_ConvBn_ReturnsTheNodeWithItsStatistics()
    {
        OnnxGraph graph = OnnxModel.Parse(ConvBn().Bytes).Graph!;

        OnnxNode bn = Assert.Single(graph.BatchNormalizationNodes());

        Assert.Equal(["conv", "bn.scale", "bn.bias", "bn.mean", "bn.var"], bn.Inputs);
        Assert.Equal(1e-5f, bn.FindAttribute("epsilon")!.Float);
        Assert.Empty(OnnxModel.Parse(TinyModels.LinearEmbedder(3, 2, 1).Bytes).Graph!.BatchNormalizationNodes());
    }

    [Fact]
    public void SetMetadata_NewAndExistingKeys_SurviveRoundTrip()
    {
        OnnxModel model = OnnxModel.Parse(ConvBn().Bytes);

        model.SetMetadata("edgecl.space", "abc");
        model.SetMetadata(TinyModels.EmbeddingOutputKey, "pooled");
        OnnxModel reread = OnnxModel.Parse(model.ToByteArray());

        Assert.Equal("abc", reread.GetMetadata("edgecl.space"));
        Assert.Equal("pooled", reread.GetMetadata(TinyModels.EmbeddingOutputKey));
        Assert.Equal(TinyModels.EmbeddingOutputKey, reread.MetadataProps[0].Key); // replaced in place
        Assert.Null(reread.GetMetadata("absent"));
        Assert.True(reread.RemoveMetadata("edgecl.space"));
        Assert.False(reread.RemoveMetadata("edgecl.space"));
    }

    [Fact]
    public void GetInitializerFloats_Missing_ThrowsModelLoadException()
    {
        OnnxGraph graph = OnnxModel.Parse(ConvBn().Bytes).Graph!;

        var e = Assert.Throws<ModelLoadException>(() => graph.GetInitializerFloats("nope"));

        Assert.Contains("'nope'", e.Message);
    }

    [Fact]
    public void ToFloatArray_ExternalOrNonFloatOrWrongLength_ThrowsModelLoadException()
    {
        var external = new OnnxTensor { Name = "e", DataType = OnnxDataType.Float, DataLocation = OnnxTensor.ExternalDataLocation };
        OnnxTensor int64 = OnnxTensor.FromInt64s("i", [1, 2], [2]);
        OnnxTensor shortRaw = OnnxTensor.FromFloats("s", [1, 2], [2]);
        shortRaw.Dims[0] = 3;

        Assert.Contains("external", Assert.Throws<ModelLoadException>(external.ToFloatArray).Message);
        Assert.Contains("not Float", Assert.Throws<ModelLoadException>(int64.ToFloatArray).Message);
        Assert.Contains("raw_data", Assert.Throws<ModelLoadException>(shortRaw.ToFloatArray).Message);
    }

    [Fact]
    public void ToFloatArray_FloatData_ReadsValues()
    {
        var tensor = new OnnxTensor { Name = "f", DataType = OnnxDataType.Float };
        tensor.Dims.AddRange([2, 2]);
        tensor.FloatData.AddRange([1, 2, 3, 4]);

        Assert.Equal([1f, 2, 3, 4], tensor.ToFloatArray());
    }

    [Fact]
    public void FromFloats_DimsDoNotMatchData_ThrowsArgumentException() =>
        Assert.Throws<ArgumentException>(() => OnnxTensor.FromFloats("x", [1, 2, 3], [2, 2]));

    [Fact]
    public void SetFloatInitializer_ReplacedBias_OrtUsesNewValues()
    {
        TinyModel tiny = TinyModels.LinearEmbedder(4, 3, seed: 5);
        OnnxModel model = OnnxModel.Parse(tiny.Bytes);
        float[] bias = [10, 20, 30];

        model.Graph!.SetFloatInitializer("bias", bias, [3]);

        Assert.Equal(2, model.Graph.Initializers.Count);
        Assert.Equal("bias", model.Graph.Initializers[1].Name); // same position
        float[] x = Ort.RandomInput(2 * 4, seed: 6);
        var edited = new TinyModel
        {
            Bytes = model.ToByteArray(), InputName = "input", InputShape = [-1, 4], OutputName = "embedding", OutputDim = 3,
            Weights = new Dictionary<string, float[]> { ["weight"] = tiny.Weights["weight"], ["bias"] = bias },
        };
        Ort.AssertClose(Reference.Linear(edited, x, 2), Ort.Run(edited.Bytes, "input", x, [2, 4], "embedding").Data);
    }

    [Fact]
    public void AddOutput_IntermediateValue_OrtReturnsIt()
    {
        OnnxModel model = OnnxModel.Parse(ConvBn().Bytes);

        OnnxValueInfo added = model.Graph!.AddOutput("pooled", OnnxDataType.Float, "N", F, 1, 1);

        Assert.Equal("pooled: Float[N,3,1,1]", added.ToString());
        float[] x = Ort.RandomInput(N * C * H * W, seed: 8);
        IReadOnlyList<Ort.Tensor> outputs = Ort.Run(model.ToByteArray(),
            new Dictionary<string, Ort.Tensor> { ["image"] = new(x, [N, C, H, W]) }, "embedding", "pooled");
        Assert.Equal([(long)N, F, 1, 1], outputs[1].Shape);
        Assert.Equal(outputs[0].Data, outputs[1].Data);
        Assert.Throws<InvalidOperationException>(() => model.Graph.AddOutput("pooled", OnnxDataType.Float));
        Assert.Null(model.Graph.AddOutput("relu", OnnxDataType.Float, null).Dims); // unknown rank
    }

    [Fact]
    public void BatchNormStatisticsAsInputs_Rewritten_MatchesReferenceForFedStatistics()
    {
        // The planned BN-statistics rewrite: each BN's mean/var become graph inputs and its input X a graph output.
        TinyModel tiny = ConvBn();
        OnnxModel model = OnnxModel.Parse(tiny.Bytes);
        OnnxGraph graph = model.Graph!;
        foreach (OnnxNode bn in graph.BatchNormalizationNodes())
        {
            foreach (string stat in bn.Inputs.Skip(3))
            {
                OnnxTensor removed = graph.RemoveInitializer(stat)!;
                graph.AddInput(stat, OnnxDataType.Float, [.. removed.Dims.Select(d => (OnnxDim)d)]);
            }
            graph.AddOutput(bn.Inputs[0], OnnxDataType.Float, "N", F, H, W);
        }
        byte[] rewritten = model.ToByteArray();
        float[] x = Ort.RandomInput(N * C * H * W, seed: 9);
        float[] mean = [0.5f, -0.5f, 0.25f], variance = [1, 0.5f, 2];

        IReadOnlyList<Ort.Tensor> outputs = Ort.Run(rewritten, new Dictionary<string, Ort.Tensor>
        {
            ["image"] = new(x, [N, C, H, W]),
            ["bn.mean"] = new(mean, [F]),
            ["bn.var"] = new(variance, [F]),
        }, "embedding", "conv");

        var weights = new Dictionary<string, float[]>(tiny.Weights) { ["bn.mean"] = mean, ["bn.var"] = variance };
        Ort.AssertClose(Reference.ConvBn(weights, x, N, C, H, W), outputs[0].Data);
        Assert.Equal([(long)N, F, H, W], outputs[1].Shape);
        Assert.Equal(rewritten, OnnxModel.Parse(rewritten).ToByteArray());
    }

    [Fact]
    public void Builder_Dims_MapNumbersNamesAndUnknown()
    {
        OnnxModel model = new OnnxGraphBuilder()
            .Input("x", OnnxDataType.Float, "batch", -1, 7)
            .Node("Identity", ["x"], ["y"])
            .Output("y", OnnxDataType.Float)
            .BuildModel();

        IReadOnlyList<OnnxDim> dims = model.Graph!.Inputs[0].Dims!;
        Assert.Equal(("batch", (long?)null), (dims[0].Param, dims[0].Value));
        Assert.Equal((null, (long?)null), (dims[1].Param, dims[1].Value));
        Assert.Equal(7, dims[2].Value);
        Assert.Empty(model.Graph.Outputs[0].Dims!); // no dims given: a scalar shape
        Assert.Equal("Identity_0", model.Graph.Nodes[0].Name);
        Assert.Equal(OnnxGraphBuilder.DefaultOpset, model.OpsetVersion());
        Assert.Equal(OnnxGraphBuilder.DefaultIrVersion, model.IrVersion);
    }

    [Fact]
    public void Builder_AttributeKinds_RoundTripWithValues()
    {
        byte[] bytes = new OnnxGraphBuilder()
            .Opset(13).Opset(14) // replaces
            .Input("x", OnnxDataType.Float, 2)
            .Node("Custom", ["x"], ["y"],
                OnnxAttribute.FromInt("i", -3), OnnxAttribute.FromFloat("f", 0.25f), OnnxAttribute.FromInts("is", 1, 2),
                OnnxAttribute.FromFloats("fs", 0.5f), OnnxAttribute.FromString("s", "héllo"),
                OnnxAttribute.FromTensor("t", OnnxTensor.FromFloats("t", [1, 2], [2])))
            .Output("y", OnnxDataType.Float, 2)
            .Build();

        OnnxModel model = OnnxModel.Parse(bytes);
        OnnxNode node = model.Graph!.Nodes[0];

        Assert.Equal(14, Assert.Single(model.OpsetImports).Version);
        Assert.Equal((-3L, OnnxAttributeType.Int), (node.FindAttribute("i")!.Int, node.FindAttribute("i")!.Type));
        Assert.Equal(0.25f, node.FindAttribute("f")!.Float);
        Assert.Equal([1L, 2], node.FindAttribute("is")!.Ints);
        Assert.Equal([0.5f], node.FindAttribute("fs")!.Floats);
        Assert.Equal("héllo", node.FindAttribute("s")!.StringValue);
        Assert.Equal([1f, 2], node.FindAttribute("t")!.Tensor!.ToFloatArray());
        Assert.Equal(bytes, model.ToByteArray());
    }

    [Fact]
    public void SetAttribute_ExistingName_ReplacesInPlace()
    {
        var node = new OnnxNode { OpType = "Flatten" };
        node.SetAttribute(OnnxAttribute.FromInt("axis", 1));
        node.SetAttribute(OnnxAttribute.FromInt("other", 0));

        node.SetAttribute(OnnxAttribute.FromInt("axis", 2));

        Assert.Equal(2, node.Attributes.Count);
        Assert.Equal(2, node.Attributes[0].Int);
    }

    [Fact]
    public void Parse_InvalidUtf8Name_DecodesLeniently()
    {
        byte[] bytes = Message(Varint(1, 8), Len(7, Len(2, [0x67, 0xff])), Len(8, Varint(2, 13)));

        Assert.Equal("g\uFFFD", OnnxModel.Parse(bytes).Graph!.Name);
    }
}
