using System.Text.Json;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Graph;
using EdgeCL.Onnx.Sessions;
using EdgeCL.Onnx.Tests.Images;

namespace EdgeCL.Onnx.Tests.Backbones;

public class ImageBackboneTests
{
    private static readonly TinyModel Model = TinyModels.ConvBnEmbedder(1, 8, 8, 4, seed: 3);

    private static string WriteBackbone(TempDirectory dir, byte[] modelBytes, string? sha = null, string extra = "", ImagePreprocessing? image = null)
    {
        File.WriteAllBytes(dir.File("tiny.onnx"), modelBytes);
        image ??= new ImagePreprocessing { Width = 8, Height = 8, Channels = 1, Scale = 1f / 255, Mean = [0.5f], Std = [0.5f] };
        var manifest = new BackboneManifest
        {
            Name = "tiny", Kind = "image", Model = "tiny.onnx", EmbeddingDimension = 4, Image = image,
            Files = [new BackboneFile { Path = "tiny.onnx", Sha256 = sha ?? SpaceIdentity.Sha256Hex(modelBytes) }],
        };
        string json = JsonSerializer.Serialize(manifest, BackboneJsonContext.Default.BackboneManifest);
        if (extra.Length > 0) json = json.TrimEnd().TrimEnd('}') + "," + extra + "}";
        File.WriteAllText(dir.File("backbone.json"), json);
        return dir.File("backbone.json");
    }

    [Fact]
    public void EmbedFile_Pgm_MatchesDirectOrtRunOnPreprocessedTensor()
    {
        using var dir = new TempDirectory();
        string manifest = WriteBackbone(dir, Model.Bytes);
        File.WriteAllBytes(dir.File("a.pgm"), ImageDecoderTests.Pgm(8, 8, (x, y) => (byte)(x * 30 + y * 3)));
        using IEmbeddingBackbone backbone = BackboneCatalog.Open(manifest, SessionOptionsSpec.Default);
        var embedding = new float[4];
        backbone.EmbedFile(dir.File("a.pgm"), embedding);

        using OnnxSession raw = OnnxSessionFactory.Create(Model.Bytes, "raw", SessionOptionsSpec.Default);
        using var direct = new OnnxEmbeddingModel(OnnxSessionFactory.Create(Model.Bytes, "raw", SessionOptionsSpec.Default), null, null, 1, "raw");
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++)
                direct.InputSlot(0)[y * 8 + x] = ((x * 30 + y * 3) / 255f - 0.5f) / 0.5f;
        direct.Run(1);
        Assert.Equal(direct.Embedding(0).ToArray(), embedding, new Tolerance(1e-5f));
        Assert.Equal(4, backbone.Space.Dimension);
        Assert.Equal(ExecutionProvider.Cpu, backbone.ActiveProvider);
    }

    [Fact]
    public void EmbedFiles_Batch_EqualsOneByOne()
    {
        using var dir = new TempDirectory();
        string manifest = WriteBackbone(dir, Model.Bytes);
        var paths = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            paths.Add(dir.File($"{i}.pgm"));
            File.WriteAllBytes(paths[^1], ImageDecoderTests.Pgm(16, 12, (x, y) => (byte)((x * y * (i + 1)) % 256)));
        }
        using var backbone = (ImageBackbone)BackboneCatalog.Open(manifest, SessionOptionsSpec.Default, maxBatch: 8);
        var batch = new float[5 * 4];
        backbone.EmbedFiles(paths, batch);
        var one = new float[4];
        for (int i = 0; i < 5; i++)
        {
            backbone.EmbedFile(paths[i], one);
            Assert.Equal(one, batch[(i * 4)..(i * 4 + 4)], new Tolerance(1e-5f));
        }
    }

    [Fact]
    public void SpaceId_DependsOnModelAndPreprocessing()
    {
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        using var c = new TempDirectory();
        using var ba = BackboneCatalog.Open(WriteBackbone(a, Model.Bytes), SessionOptionsSpec.Default);
        using var bb = BackboneCatalog.Open(WriteBackbone(b, Model.Bytes, image: new ImagePreprocessing { Width = 8, Height = 8, Channels = 1, Scale = 1f / 255, Mean = [0.4f], Std = [0.5f] }), SessionOptionsSpec.Default);
        using var bc = BackboneCatalog.Open(WriteBackbone(c, TinyModels.ConvBnEmbedder(1, 8, 8, 4, seed: 4).Bytes), SessionOptionsSpec.Default);
        Assert.NotEqual(ba.Space.Id, bb.Space.Id);
        Assert.NotEqual(ba.Space.Id, bc.Space.Id);
        using var again = BackboneCatalog.Open(a.File("backbone.json"), SessionOptionsSpec.Default);
        Assert.Equal(ba.Space, again.Space);
    }

    [Fact]
    public void Open_ChecksumMismatch_NamesBothHashes()
    {
        using var dir = new TempDirectory();
        string manifest = WriteBackbone(dir, Model.Bytes, sha: new string('0', 64));
        var ex = Assert.Throws<ModelLoadException>(() => BackboneCatalog.Open(manifest, SessionOptionsSpec.Default));
        Assert.Contains("expected 0000", ex.Message);
        Assert.Contains(SpaceIdentity.Sha256Hex(Model.Bytes), ex.Message);
    }

    [Fact]
    public void Open_ManifestTypo_PointsAtTheKey()
    {
        using var dir = new TempDirectory();
        string manifest = WriteBackbone(dir, Model.Bytes, extra: "\"embedingDimension\": 4");
        var ex = Assert.Throws<ModelLoadException>(() => BackboneCatalog.Open(manifest, SessionOptionsSpec.Default));
        Assert.Contains("embedingDimension", ex.Message);
    }

    [Fact]
    public void Open_WrongPreprocessingSize_Refused()
    {
        using var dir = new TempDirectory();
        string manifest = WriteBackbone(dir, Model.Bytes, image: new ImagePreprocessing { Width = 28, Height = 28, Channels = 1, Mean = [0], Std = [1] });
        var ex = Assert.Throws<ModelLoadException>(() => BackboneCatalog.Open(manifest, SessionOptionsSpec.Default));
        Assert.Contains("fix the manifest", ex.Message);
    }

    [Fact]
    public void Open_UnknownName_ListsKnownBackbones()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(System.IO.Path.Combine(dir.Path, "tiny"));
        using (var sub = new TempDirectory()) { }
        File.WriteAllBytes(System.IO.Path.Combine(dir.Path, "tiny", "tiny.onnx"), Model.Bytes);
        var ex = Assert.Throws<ModelLoadException>(() => BackboneCatalog.Open("nonesuch", SessionOptionsSpec.Default, null, dir.Path));
        Assert.Contains("not found", ex.Message);
    }

    [Fact]
    public void BareOnnx_WithMetadata_OpensWithoutManifest()
    {
        using var dir = new TempDirectory();
        OnnxModel model = OnnxModel.Parse(Model.Bytes);
        model.SetMetadata("edgecl.image.width", "8");
        model.SetMetadata("edgecl.image.height", "8");
        model.SetMetadata("edgecl.image.channels", "1");
        model.SetMetadata("edgecl.image.mean", "0.5");
        model.SetMetadata("edgecl.image.std", "0.5");
        File.WriteAllBytes(dir.File("bare.onnx"), model.ToByteArray());
        using IEmbeddingBackbone backbone = BackboneCatalog.Open(dir.File("bare.onnx"), SessionOptionsSpec.Default);
        Assert.Equal(4, backbone.Space.Dimension);

        File.WriteAllBytes(dir.File("plain.onnx"), Model.Bytes);
        var ex = Assert.Throws<ModelLoadException>(() => BackboneCatalog.Open(dir.File("plain.onnx"), SessionOptionsSpec.Default));
        Assert.Contains("backbone.json", ex.Message);

        // Metadata that does not fit the model: the fix is the metadata (there is no manifest to fix).
        model.SetMetadata("edgecl.image.width", "9");
        File.WriteAllBytes(dir.File("wrong.onnx"), model.ToByteArray());
        var wrong = Assert.Throws<ModelLoadException>(() => BackboneCatalog.Open(dir.File("wrong.onnx"), SessionOptionsSpec.Default));
        Assert.Contains("edgecl.image.* metadata", wrong.Message);
        Assert.DoesNotContain("fix the manifest", wrong.Message);
    }

    [Fact]
    public void EmbedFile_ModelProducesNaN_BlamesTheModelNotTheInput()
    {
        using var dir = new TempDirectory();
        TinyModel nan = TinyModels.NanEmbedder(4);
        OnnxModel model = OnnxModel.Parse(nan.Bytes);
        model.SetMetadata("edgecl.image.width", nan.InputShape[^1].ToString(System.Globalization.CultureInfo.InvariantCulture));
        model.SetMetadata("edgecl.image.height", "1");
        model.SetMetadata("edgecl.image.channels", "1");
        if (nan.InputShape.Count != 2) return; // NanEmbedder is [N, D]; an image needs C·H·W = D
        File.WriteAllBytes(dir.File("nan.onnx"), model.ToByteArray());
        File.WriteAllBytes(dir.File("x.pgm"), ImageDecoderTests.Pgm((int)nan.InputShape[^1], 1, (_, _) => 0));
        using IEmbeddingBackbone backbone = BackboneCatalog.Open(dir.File("nan.onnx"), SessionOptionsSpec.Default);
        var ex = Assert.Throws<ModelLoadException>(() => backbone.EmbedFile(dir.File("x.pgm"), new float[4]));
        Assert.Contains("NaN", ex.Message);
        Assert.Contains("from a valid input; the model is broken", ex.Message);
        Assert.DoesNotContain("input is probably corrupt", ex.Message);
    }
}

internal sealed class Tolerance(float tolerance) : IEqualityComparer<float>
{
    public bool Equals(float x, float y) => MathF.Abs(x - y) <= tolerance;
    public int GetHashCode(float obj) => 0;
}
