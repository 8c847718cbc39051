using EdgeCL.Eval.Data;
using EdgeCL.Onnx.Errors;

namespace EdgeCL.Eval.Tests.Data;

public class StreamManifestTests
{
    private static string Write(TestData t, params string[] lines)
    {
        string path = t.Path_("images", "stream.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void Load_DomainChanges_StartTasksAndHeldOutSetsPerDomain()
    {
        using var t = new TestData();
        t.ImageDataset(perClass: 3);
        string path = Write(t,
            """{"path": "left/left_0.pgm", "label": "left", "labelled": true}""",
            """{"path": "bottom/bottom_0.pgm", "label": "bottom", "labelled": true}""",
            """{"path": "left/left_1.pgm", "label": "left", "shift": "fog:2"}""",
            """{"path": "bottom/bottom_1.pgm", "label": "bottom", "shift": "fog:2"}""",
            """{"path": "left/left_2.pgm", "label": "left", "shift": "fog:2", "heldout": true}""",
            """{"path": "left/left_1.pgm", "label": "left", "heldout": true}""");
        ManifestStream m = StreamManifest.Load(path, 3, 1);
        Assert.Equal(["clean", "fog_2"], m.Stream.Domains.Select(d => d.Replace(':', '_')));
        Assert.Equal(["clean", "fog:2"], m.Stream.Tasks);
        Assert.Equal([true, true, false, false], m.Stream.Steps.Select(s => s.Labelled));
        Assert.Equal([("fog:2", 1), ("clean", 0)], m.Stream.Sets.Select(s => (s.Name, s.Task)));
        Assert.Equal(5, m.Dataset.Items.Count);
        Assert.Equal("fog", m.Shifts[1].Name);
    }

    [Fact]
    public void Load_LineNamingMissingFile_OneLineErrorWithLineNumber()
    {
        using var t = new TestData();
        t.ImageDataset(perClass: 1);
        string path = Write(t,
            """{"path": "left/left_0.pgm", "label": "left", "labelled": true}""",
            "",
            """{"path": "left/nope.pgm", "label": "left"}""");
        var ex = Assert.Throws<InputFormatException>(() => StreamManifest.Load(path, 3, 1));
        Assert.Equal($"Manifest '{path}' line 3 names 'left/nope.pgm', which does not exist.", ex.Message);
    }

    [Fact]
    public void Load_UnknownField_RejectedWithLineNumber()
    {
        using var t = new TestData();
        t.ImageDataset(perClass: 1);
        string path = Write(t, """{"path": "left/left_0.pgm", "label": "left", "labeled": true}""");
        var ex = Assert.Throws<InputFormatException>(() => StreamManifest.Load(path, 3, 1));
        Assert.Contains("line 1 is not valid JSON", ex.Message);
    }

    [Fact]
    public void Load_UnknownShift_ListsKnownOnes()
    {
        using var t = new TestData();
        t.ImageDataset(perClass: 1);
        string path = Write(t, """{"path": "left/left_0.pgm", "label": "left", "shift": "rain:3"}""");
        var ex = Assert.Throws<ArgumentException>(() => StreamManifest.Load(path, 3, 1));
        Assert.Contains("Unknown shift 'rain:3'", ex.Message);
    }
}
