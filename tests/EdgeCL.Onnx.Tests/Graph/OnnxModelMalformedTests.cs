using CsCheck;
using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Graph;
using static EdgeCL.Onnx.Tests.Graph.RawProto;

namespace EdgeCL.Onnx.Tests.Graph;

public sealed class OnnxModelMalformedTests
{
    private static readonly byte[] Valid = TinyModels.ConvBnEmbedder(2, 4, 4, 3, seed: 11).Bytes;

    /// <summary>Parses; only ModelLoadException may escape, and whatever parses must write and re-read stably.</summary>
    private static void ParseOrReject(byte[] bytes)
    {
        OnnxModel model;
        try
        {
            model = OnnxModel.Parse(bytes);
        }
        catch (ModelLoadException e)
        {
            Assert.DoesNotContain('\n', e.Message);
            return;
        }
        byte[] written = model.ToByteArray();
        Assert.Equal(written, OnnxModel.Parse(written).ToByteArray());
    }

    [Fact]
    public void Parse_EmptyBytes_ThrowsModelLoadException()
    {
        var e = Assert.Throws<ModelLoadException>(() => OnnxModel.Parse([], "models/x.onnx"));

        Assert.Equal("'models/x.onnx' is not a valid ONNX model: the file is empty; check the file / fetch it again.", e.Message);
    }

    [Fact]
    public void Parse_TruncatedModel_ThrowsModelLoadException()
    {
        var e = Assert.Throws<ModelLoadException>(() => OnnxModel.Parse(Valid.AsSpan(0, Valid.Length / 2)));

        Assert.StartsWith("'model' is not a valid ONNX model: ", e.Message);
        Assert.EndsWith("; check the file / fetch it again.", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Parse_EveryPrefixOfModel_ThrowsOnlyModelLoadException()
    {
        for (int length = 0; length < Valid.Length; length++)
        {
            ParseOrReject(Valid[..length]);
        }
    }

    [Fact]
    public void Parse_RandomGarbage_ThrowsOnlyModelLoadException() =>
        Gen.Byte.Array[0, 600].Sample(ParseOrReject, iter: 1000);

    [Fact]
    public void Parse_ModelPrefixFollowedByGarbage_ThrowsOnlyModelLoadException() =>
        Gen.Select(Gen.Int[0, Valid.Length], Gen.Byte.Array[1, 64])
            .Sample((cut, tail) => ParseOrReject([.. Valid.AsSpan(0, cut), .. tail]), iter: 500);

    [Fact]
    public void Parse_RandomMutationsOfValidModel_ThrowOnlyModelLoadException()
    {
        var random = new Random(20240601);
        for (int i = 0; i < 800; i++)
        {
            List<byte> bytes = [.. Valid];
            for (int m = random.Next(1, 4); m > 0 && bytes.Count > 0; m--)
            {
                int at = random.Next(bytes.Count);
                switch (random.Next(5))
                {
                    case 0: bytes[at] ^= (byte)(1 << random.Next(8)); break;          // flip a bit
                    case 1: bytes[at] = (byte)random.Next(256); break;                 // overwrite a byte
                    case 2: bytes.RemoveRange(at, Math.Min(random.Next(1, 16), bytes.Count - at)); break;
                    case 3: bytes.Insert(at, (byte)random.Next(256)); break;
                    default: bytes[at] = (byte)(random.Next(2) == 0 ? 0xff : 0x7f); break; // large lengths / varints
                }
            }
            ParseOrReject([.. bytes]);
        }
    }

    [Fact]
    public void Parse_DeeplyNestedSubgraphs_ThrowsModelLoadException()
    {
        var root = new OnnxGraph { Name = "g0" };
        OnnxGraph current = root;
        for (int depth = 1; depth < 60; depth++)
        {
            var inner = new OnnxGraph { Name = $"g{depth}" };
            var node = new OnnxNode { OpType = "If" };
            node.Attributes.Add(new OnnxAttribute { Name = "then_branch", Type = OnnxAttributeType.Graph, Graph = inner });
            current.Nodes.Add(node);
            current = inner;
        }
        var model = new OnnxModel { IrVersion = 8, Graph = root };
        model.OpsetImports.Add(new OnnxOpset("", 13));

        var e = Assert.Throws<ModelLoadException>(() => OnnxModel.Parse(model.ToByteArray()));

        Assert.Contains("nested more than", e.Message);
    }

    [Fact]
    public void Parse_SubMessageLongerThanItsParent_ThrowsModelLoadException()
    {
        // The graph claims 4 bytes; the node inside it claims 20, which would run into the opset that follows.
        byte[] bytes = Message(Varint(1, 8), [0x3a, 0x04, 0x0a, 0x14, 0x22, 0x00], Len(8, Varint(2, 13)), Len(14, Str(1, "padding padding")));

        var e = Assert.Throws<ModelLoadException>(() => OnnxModel.Parse(bytes));

        Assert.Contains("past the end", e.Message);
    }

    [Theory]
    [InlineData("graph")]
    [InlineData("opset_import")]
    [InlineData("ir_version")]
    public void Parse_WellFormedProtobufMissingRequiredField_ThrowsModelLoadException(string missing)
    {
        byte[] bytes = Message(
            missing == "ir_version" ? [] : Varint(1, 8),
            missing == "graph" ? [] : Len(7, Str(2, "g")),
            missing == "opset_import" ? [] : Len(8, Varint(2, 13)));

        var e = Assert.Throws<ModelLoadException>(() => OnnxModel.Parse(bytes));

        Assert.Contains($"it has no {missing}", e.Message);
    }

    [Fact]
    public void Load_MissingFile_ThrowsModelLoadException()
    {
        string path = Path.Combine(Path.GetTempPath(), $"edgecl-missing-{Guid.NewGuid():N}.onnx");

        var e = Assert.Throws<ModelLoadException>(() => OnnxModel.Load(path));

        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Load_ValidFile_Parses()
    {
        string path = Path.Combine(Path.GetTempPath(), $"edgecl-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, Valid);
        try
        {
            Assert.Equal(Valid, OnnxModel.Load(path).ToByteArray());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
