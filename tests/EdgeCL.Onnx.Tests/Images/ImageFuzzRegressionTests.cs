using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Images;

namespace EdgeCL.Onnx.Tests.Images;

/// <summary>Inputs found by the fuzzer (ops/fuzz, targets image-png and image-jpeg) that broke the StbImageSharp route.</summary>
public class ImageFuzzRegressionTests
{
    /// <summary>A mutated 8×6 JPEG whose marker lengths made StbImageSharp seek backwards: its header scan looped forever.</summary>
    private const string LoopingJpeg =
        "/9j/4AcQSkZJRgABAQAAAQAB/wD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJDRENDg8QEBEQCgwSExIQEw8QEBD/2wBDAQMDAwQDBAgE"
        + "BAgQCwkLEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAgEBAQEBAQEBAQEBD/wAARCAAGAAgDAREAAhEBAxEB/8QAJAABAAAAAAAAAAAAjAAAAAAACP/EABkQ"
        + "AAEFAAAAAAAAAAAADg8QEAAAECwSExIQEw8AAAAAAAAAAAAAAAAI/8QAAAcI/8QAGhEAAAcAAAAAAAAAAAAACwAAAAIFGFGR4f/aAAwDAYACEQMRAD8AE0hvqXpVLXUSS1gXXGq8GvR//9k=";

    /// <summary>A PNG whose second chunk claims 2^32 − 267 bytes: StbImageSharp's skip seeked before the start (IOException).</summary>
    private const string NegativeSkipPng =
        "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAGCAIAAAEGYOjp8gAEkfDlJMhr+AALiQwHKhF2DwAAAABJRU5ErunyAASR8OUkyGv4AAuJDAcqEXYPAAAAAElFTkSuQmCC";

    [Fact]
    public async Task Decode_JpegWhoseMarkersSkipBackwards_EndsWithOneLine()
    {
        byte[] jpeg = Convert.FromBase64String(LoopingJpeg);
        Task<Exception?> decode = Task.Run(() => (Exception?)Record.Exception(() => ImageDecoder.Decode(jpeg, 3, "loop.jpg")));
        Task first = await Task.WhenAny(decode, Task.Delay(TimeSpan.FromSeconds(20)));
        Assert.True(first == decode, "decoding a 311-byte JPEG did not finish");
        if (await decode is { } error)
            Assert.IsType<InputFormatException>(error);
    }

    [Fact]
    public void Decode_PngWithNegativeChunkLength_IsInputFormatException()
    {
        var ex = Assert.Throws<InputFormatException>(() => ImageDecoder.Decode(Convert.FromBase64String(NegativeSkipPng), 3, "bad.png"));
        Assert.Contains("bad.png", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }
}
