using EdgeCL.Device.Config;
using EdgeCL.Device.Sources;

namespace EdgeCL.Device.Tests.Sources;

public sealed class FileListSourceTests : IDisposable
{
    private readonly SourceTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    [Fact]
    public async Task RunAsync_OffersExistingFilesInOrderWithLabelThenEnds()
    {
        _kit.Write("b.wav");
        _kit.Write("a.wav");
        var source = new FileListSource(new SourceSettings { Type = "files", Paths = ["b.wav", "missing.wav", "a.wav"], Label = "yes" }, _kit.Context);
        await source.RunAsync(_kit.Output.Writer, CancellationToken.None).WaitAsync(SourceTestKit.Timeout);
        InputSample first = await _kit.NextAsync();
        InputSample second = await _kit.NextAsync();
        Assert.Equal(_kit.PathOf("b.wav"), first.FilePath);
        Assert.Equal(_kit.PathOf("a.wav"), second.FilePath);
        Assert.All(new[] { first, second }, s => Assert.Equal("yes", s.Label));
        Assert.Null(first.Handled); // listed files are never moved
        Assert.False(_kit.Output.Reader.TryRead(out _));
        Assert.True(File.Exists(_kit.PathOf("b.wav")));
    }

    [Fact]
    public void Constructor_NoPaths_ThrowsSourceException() =>
        Assert.Throws<SourceException>(() => new FileListSource(new SourceSettings { Type = "files" }, _kit.Context));
}
