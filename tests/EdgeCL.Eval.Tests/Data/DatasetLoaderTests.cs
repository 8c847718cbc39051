using EdgeCL.Eval.Data;
using EdgeCL.Onnx.Errors;

namespace EdgeCL.Eval.Tests.Data;

public class DatasetLoaderTests
{
    [Fact]
    public void Load_FolderPerClass_ListsClassesInOrder()
    {
        using var t = new TestData();
        Dataset d = DatasetLoader.Load(t.ImageDataset(perClass: 3));
        Assert.Equal(DatasetKind.Image, d.Kind);
        Assert.Equal(["bottom", "diag", "left"], d.Classes);
        Assert.Equal(9, d.Items.Count);
        Assert.Empty(d.Domains);
        Assert.Equal("bottom/bottom_0.pgm", d.Items[0].Key);
    }

    [Fact]
    public void Load_DomainLevel_ReadsDomainsAndClasses()
    {
        using var t = new TestData();
        string root = t.Path_("domains");
        foreach (string domain in new[] { "day", "night" })
            foreach (string label in new[] { "a", "b" })
            {
                Directory.CreateDirectory(Path.Combine(root, domain, label));
                File.WriteAllBytes(Path.Combine(root, domain, label, "x.pgm"), TestData.Pgm(8, 8, (x, y) => 1));
            }
        Dataset d = DatasetLoader.Load(root);
        Assert.Equal(["day", "night"], d.Domains);
        Assert.Equal(["a", "b"], d.Classes);
        Assert.Equal("night", d.Items[^1].Domain);
    }

    [Fact]
    public void Load_NoClassFolders_OneLineError()
    {
        using var t = new TestData();
        string root = t.Path_("flat");
        Directory.CreateDirectory(root);
        File.WriteAllBytes(Path.Combine(root, "x.pgm"), TestData.Pgm(8, 8, (x, y) => 1));
        var ex = Assert.Throws<InputFormatException>(() => DatasetLoader.Load(root));
        Assert.Contains("has no classes", ex.Message);
    }

    [Fact]
    public void Load_MixedFileTypes_OneLineError()
    {
        using var t = new TestData();
        string root = t.ImageDataset(perClass: 2);
        File.Copy(Path.Combine(t.AudioDataset(perClass: 1), "low", "low_0.wav"), Path.Combine(root, "left", "odd.wav"));
        var ex = Assert.Throws<InputFormatException>(() => DatasetLoader.Load(root));
        Assert.Contains("mixes file types", ex.Message);
    }

    [Fact]
    public void Load_EmptyClassFolder_OneLineError()
    {
        using var t = new TestData();
        string root = t.ImageDataset(perClass: 2);
        Directory.CreateDirectory(Path.Combine(root, "empty"));
        var ex = Assert.Throws<InputFormatException>(() => DatasetLoader.Load(root));
        Assert.Contains("'empty' holds no WAV or image files", ex.Message.Replace(Path.Combine(root, "empty"), "'empty'", StringComparison.Ordinal).Replace("''", "'", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_NpyWithWrongLabelCount_OneLineError()
    {
        using var t = new TestData();
        string npy = t.Embeddings(classes: 2, perClass: 3);
        File.WriteAllLines(npy + ".labels.txt", ["a", "b"]);
        var ex = Assert.Throws<InputFormatException>(() => DatasetLoader.Load(npy));
        Assert.Contains("has 2 labels but", ex.Message);
    }

    [Fact]
    public void Load_MaxPerClass_SubsamplesDeterministically()
    {
        using var t = new TestData();
        string root = t.ImageDataset(perClass: 6);
        var a = DatasetLoader.Load(root, maxPerClass: 2, seed: 4).Items.Select(i => i.Key);
        var b = DatasetLoader.Load(root, maxPerClass: 2, seed: 4).Items.Select(i => i.Key);
        Assert.Equal(a, b);
        Assert.Equal(6, a.Count());
    }
}
