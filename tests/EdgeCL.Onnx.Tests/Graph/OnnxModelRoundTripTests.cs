using EdgeCL.Onnx.Graph;
using static EdgeCL.Onnx.Tests.Graph.RawProto;

namespace EdgeCL.Onnx.Tests.Graph;

public sealed class OnnxModelRoundTripTests
{
    /// <summary>Relu model written by hand, with unknown fields of every wire type at several depths and positions.</summary>
    internal static byte[] ReluWithUnknownFields() => Message(
        Fixed64(1001, 0x0123456789abcdef),             // before any known field (non-canonical position)
        Varint(1, 8),                                   // ir_version
        Str(2, "hand"),                                 // producer_name
        Len(7,                                          // graph
            Len(1,                                      // node
                Str(1, "x"), Str(2, "y"), Str(3, "relu0"), Str(4, "Relu"),
                Varint(1000, 7),
                Len(1002, [1, 2, 3])),
            Str(2, "g"),
            Len(11,                                     // input x: float [N, 4]
                Str(1, "x"),
                Len(2, Len(1,
                    Varint(1, 1),
                    Len(2,
                        Len(1, Str(2, "N"), Varint(1005, 3)),
                        Len(1, Varint(1, 4))))),
                Fixed32(1006, 0xdeadbeef)),
            Len(12,                                     // output y: float [N, 4]
                Str(1, "y"),
                Len(2, Len(1, Varint(1, 1), Len(2, Len(1, Str(2, "N")), Len(1, Varint(1, 4)))))),
            Group(1003, Varint(1, 5), Str(2, "in a group"))),
        Len(8, Str(1, ""), Varint(2, 13), Fixed32(1004, 7)), // opset_import
        Len(14, Str(1, "k"), Str(2, "v"), Varint(1008, 1)),  // metadata_props
        Len(1007, Str(1, "tail")));

    [Theory]
    [MemberData(nameof(TinyModelsTests.ModelNames), MemberType = typeof(TinyModelsTests))]
    public void ToByteArray_BuilderModels_ByteIdenticalAfterParse(string name)
    {
        byte[] bytes = TinyModelsTests.ByName(name).Bytes;

        Assert.Equal(bytes, OnnxModel.Parse(bytes).ToByteArray());
    }

    [Fact]
    public void ToByteArray_HandMadeModelWithUnknownFields_ByteIdentical()
    {
        byte[] bytes = ReluWithUnknownFields();

        OnnxModel model = OnnxModel.Parse(bytes);

        Assert.Equal(bytes, model.ToByteArray());
        Assert.Equal(8, model.IrVersion);
        Assert.Equal("hand", model.ProducerName);
        OnnxNode node = Assert.Single(model.Graph!.Nodes);
        Assert.Equal("Relu", node.OpType);
        Assert.Equal(["N", "4"], model.Graph.Inputs[0].Dims!.Select(d => d.ToString()));
        Assert.Equal(13, model.OpsetVersion());
        Assert.Equal("v", model.GetMetadata("k"));
    }

    [Fact]
    public void ToByteArray_HandMadeModelWithUnknownFields_OrtRunsBeforeAndAfter()
    {
        byte[] bytes = ReluWithUnknownFields();
        float[] x = [-1, 2, -3, 4];

        Ort.Tensor before = Ort.Run(bytes, "x", x, [1, 4], "y");
        Ort.Tensor after = Ort.Run(OnnxModel.Parse(bytes).ToByteArray(), "x", x, [1, 4], "y");

        Assert.Equal([0f, 2, 0, 4], before.Data);
        Assert.Equal(before.Data, after.Data);
    }

    [Fact]
    public void ToByteArray_UnknownFieldsInjectedIntoEveryMessage_SurviveRoundTripAndOrt()
    {
        TinyModel tiny = TinyModels.ConvBnEmbedder(2, 4, 4, 3, seed: 9);
        OnnxModel model = OnnxModel.Parse(tiny.Bytes);
        List<IProtoMessage> messages = MessageTree.All(model).ToList();
        int field = 2000;
        foreach (IProtoMessage message in messages)
        {
            // One at the start, one after the last modelled field (canonical position for a high number).
            message.UnknownFields = [new UnknownField(0, Varint(field++, 1)), new UnknownField(99, Len(field++, [9, 9]))];
        }
        // Anchor 99 is no modelled field: such unknowns must still be written (at the end).
        byte[] injected = model.ToByteArray();

        OnnxModel reread = OnnxModel.Parse(injected);

        Assert.Equal(injected, reread.ToByteArray());
        Assert.Equal(messages.Count * 2, MessageTree.All(reread).Sum(m => m.UnknownFields?.Count ?? 0));
        float[] x = Ort.RandomInput(2 * 16, seed: 5);
        Assert.Equal(
            Ort.Run(tiny.Bytes, "image", x, [1, 2, 4, 4], "embedding").Data,
            Ort.Run(injected, "image", x, [1, 2, 4, 4], "embedding").Data);
    }

    [Fact]
    public void Parse_PackedAndUnpackedRepeatedScalars_ReadsBothAndKeepsEncoding()
    {
        byte[] tensor = Message(
            PackedVarints(1, 2, 3),                                   // dims packed (onnx.proto writes them unpacked)
            Varint(2, 1),
            Float(4, 1), Float(4, 2), Float(4, 3), Float(4, 4), Float(4, 5), Float(4, 6), // float_data unpacked
            Str(8, "w"));
        byte[] bytes = Message(
            Varint(1, 8),
            Len(7,
                Len(1, Str(1, "x"), Str(1, "w"), Str(2, "y"), Str(4, "MatMul"),
                    Len(5, Str(1, "ints"), PackedVarints(8, 1, -2, 3), Varint(20, 7)),
                    Len(5, Str(1, "floats"), Float(7, 0.5f), Float(7, 1.5f), Varint(20, 6))),
                Len(5, tensor)),
            Len(8, Varint(2, 13)));

        OnnxModel model = OnnxModel.Parse(bytes);

        OnnxTensor w = Assert.Single(model.Graph!.Initializers);
        Assert.Equal([2L, 3L], w.Dims);
        Assert.Equal([1f, 2, 3, 4, 5, 6], model.Graph.GetInitializerFloats("w"));
        OnnxNode node = model.Graph.Nodes[0];
        Assert.Equal([1L, -2, 3], node.FindAttribute("ints")!.Ints);
        Assert.Equal([0.5f, 1.5f], node.FindAttribute("floats")!.Floats);
        Assert.Equal(bytes, model.ToByteArray());
    }

    [Fact]
    public void ToByteArray_NonCanonicalFieldOrder_KeepsEveryValue()
    {
        byte[] bytes = Message(
            Len(14, Str(2, "v"), Str(1, "k")),
            Len(8, Varint(2, 13)),
            Len(7, Str(2, "g"), Len(1, Str(4, "Relu"), Str(2, "y"), Str(1, "x"))),
            Str(2, "p"),
            Varint(1, 8));

        OnnxModel model = OnnxModel.Parse(bytes);
        byte[] written = model.ToByteArray();

        Assert.Equal(bytes.Length, written.Length);
        Assert.Equal(written, OnnxModel.Parse(written).ToByteArray());
        Assert.Equal(("k", "v"), (model.MetadataProps[0].Key, model.MetadataProps[0].Value));
        Assert.Equal("x", model.Graph!.Nodes[0].Inputs[0]);
        Assert.Equal("p", model.ProducerName);
    }

    [Fact]
    public void ToByteArray_ExplicitDefaultValues_AreKept()
    {
        // proto2 writes a set field even when it holds the default; presence must survive.
        byte[] bytes = Message(Varint(1, 8), Str(2, ""), Varint(5, 0), Len(7, Str(2, "")), Len(8, Str(1, ""), Varint(2, 13)));

        OnnxModel model = OnnxModel.Parse(bytes);

        Assert.Equal("", model.ProducerName);
        Assert.Equal(0, model.ModelVersion);
        Assert.Equal(bytes, model.ToByteArray());
    }
}
