using EdgeCL.Device.Config;
using EdgeCL.Device.Sources;

namespace EdgeCL.Device.Tests.Sources;

public sealed class FolderSourceTests : IDisposable
{
    private static readonly string[] s_wav = [".wav"];
    private readonly SourceTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    private FolderSource Create(string? doneDir = null, bool labelsFromFolders = false, string? label = null, string[]? extensions = null) =>
        new(new SourceSettings { Type = "folder", Path = "inbox", PollMs = 20, DoneDir = doneDir, LabelsFromFolders = labelsFromFolders, Label = label },
            _kit.Context, extensions ?? s_wav);

    [Fact]
    public void Scan_WrittenThenRenamed_OfferedOnceStableAcrossTwoPolls()
    {
        FolderSource source = Create();
        string temp = _kit.Write("inbox/a.wav.tmp");
        Assert.Empty(source.Scan()!);
        Assert.Empty(source.Scan()!);
        File.Move(temp, _kit.PathOf("inbox", "a.wav"));
        Assert.Empty(source.Scan()!); // first sight
        (string path, string? label) = Assert.Single(source.Scan()!);
        Assert.Equal(_kit.PathOf("inbox", "a.wav"), path);
        Assert.Null(label);
        Assert.Empty(source.Scan()!); // offered, not yet handled: not offered twice
    }

    [Fact]
    public void Scan_GrowingFile_WaitsUntilSizeIsStable()
    {
        FolderSource source = Create();
        string path = _kit.Write("inbox/a.wav", "1");
        Assert.Empty(source.Scan()!);
        File.AppendAllText(path, "22");
        Assert.Empty(source.Scan()!);
        Assert.Single(source.Scan()!);
    }

    [Fact]
    public void Scan_IgnoresTemporaryHiddenAndForeignFiles()
    {
        FolderSource source = Create();
        _kit.Write("inbox/a.tmp");
        _kit.Write("inbox/b.wav.part");
        _kit.Write("inbox/.c.wav");
        _kit.Write("inbox/d.txt");
        _kit.Write("inbox/E.WAV");
        source.Scan();
        (string path, _) = Assert.Single(source.Scan()!);
        Assert.EndsWith("E.WAV", path, StringComparison.Ordinal);
    }

    [Fact]
    public void Scan_LabelsFromFolders_LabelsBySubFolderAndSkipsDoneFolder()
    {
        FolderSource source = Create(doneDir: "done", labelsFromFolders: true);
        _kit.Write("inbox/cat/1.wav");
        _kit.Write("inbox/dog/2.wav");
        _kit.Write("inbox/3.wav");
        _kit.Write("inbox/done/cat/old.wav");
        _kit.Write("inbox/dog/deeper/4.wav");
        source.Scan();
        var offered = source.Scan()!.ToDictionary(s => Path.GetFileName(s.Path), s => s.Label);
        Assert.Equal(3, offered.Count);
        Assert.Equal("cat", offered["1.wav"]);
        Assert.Equal("dog", offered["2.wav"]);
        Assert.Null(offered["3.wav"]);
    }

    [Fact]
    public void Scan_FixedLabel_WinsOverFolderName()
    {
        FolderSource source = Create(labelsFromFolders: true, label: "bird");
        _kit.Write("inbox/cat/1.wav");
        _kit.Write("inbox/2.wav");
        source.Scan();
        Assert.All(source.Scan()!, s => Assert.Equal("bird", s.Label));
    }

    [Fact]
    public void Scan_FolderMissingThenBack_ReturnsNullThenOffers()
    {
        FolderSource source = Create();
        Assert.Null(source.Scan());
        _kit.Write("inbox/a.wav");
        source.Scan();
        Assert.Single(source.Scan()!);
    }

    [Fact]
    public async Task RunAsync_FolderMissing_LogsOneLineAndPicksUpWhenItComesBack()
    {
        FolderSource source = Create();
        Task run = _kit.Start(source);
        await Task.Delay(200); // ten polls of a missing folder
        _kit.Write("inbox/a.wav");
        InputSample sample = await _kit.NextAsync();
        Assert.Equal(_kit.PathOf("inbox", "a.wav"), sample.FilePath);
        Assert.Single(_kit.Logs.Lines, l => l.Contains("does not exist (removed or not mounted); waiting for it to come back", StringComparison.Ordinal));
        Assert.Single(_kit.Logs.Lines, l => l.EndsWith("is back", StringComparison.Ordinal));
        await _kit.Stop.CancelAsync();
        await run.WaitAsync(SourceTestKit.Timeout);
    }

    [Fact]
    public async Task RunAsync_HandledTrue_MovesToDoneKeepingSubFolder()
    {
        FolderSource source = Create(doneDir: "done", labelsFromFolders: true);
        string path = _kit.Write("inbox/cat/1.wav");
        Task run = _kit.Start(source);
        InputSample sample = await _kit.NextAsync();
        Assert.Equal(path, sample.FilePath);
        Assert.Equal("cat", sample.Label);
        Assert.Equal(source.Name, sample.Source);
        Assert.True(File.Exists(path)); // nothing moves before the agent says so
        sample.Handled!(true);
        Assert.False(File.Exists(path));
        Assert.True(File.Exists(_kit.PathOf("inbox", "done", "cat", "1.wav")));
        await _kit.AssertQuietAsync();
        await _kit.Stop.CancelAsync();
        await run.WaitAsync(SourceTestKit.Timeout);
    }

    [Fact]
    public async Task RunAsync_HandledTrueWithoutDoneDir_Deletes()
    {
        FolderSource source = Create();
        string path = _kit.Write("inbox/a.wav");
        Task run = _kit.Start(source);
        (await _kit.NextAsync()).Handled!(true);
        Assert.False(File.Exists(path));
        await _kit.Stop.CancelAsync();
        await run.WaitAsync(SourceTestKit.Timeout);
    }

    [Fact]
    public async Task RunAsync_DoneNameTaken_MovesWithSuffix()
    {
        FolderSource source = Create(doneDir: "../done");
        _kit.Write("done/b.wav", "old");
        string path = _kit.Write("inbox/b.wav", "new");
        Task run = _kit.Start(source);
        (await _kit.NextAsync()).Handled!(true);
        Assert.False(File.Exists(path));
        Assert.Equal("old", File.ReadAllText(_kit.PathOf("done", "b.wav")));
        Assert.Equal("new", File.ReadAllText(_kit.PathOf("done", "b-1.wav")));
        await _kit.Stop.CancelAsync();
        await run.WaitAsync(SourceTestKit.Timeout);
    }

    [Fact]
    public async Task RunAsync_HandledFalse_LeavesFileAndOffersItOnlyAtNextStart()
    {
        FolderSource source = Create(doneDir: "done");
        string path = _kit.Write("inbox/a.wav");
        Task run = _kit.Start(source);
        (await _kit.NextAsync()).Handled!(false);
        Assert.True(File.Exists(path));
        await _kit.AssertQuietAsync();
        await _kit.Stop.CancelAsync();
        await run.WaitAsync(SourceTestKit.Timeout);

        FolderSource restarted = Create(doneDir: "done");
        restarted.Scan();
        Assert.Single(restarted.Scan()!);
    }

    [Fact]
    public async Task RunAsync_HandledNeverCalled_FileStaysForTheNextStart()
    {
        FolderSource source = Create(doneDir: "done");
        string path = _kit.Write("inbox/a.wav");
        Task run = _kit.Start(source);
        await _kit.NextAsync(); // the agent "crashes" before learning it
        await _kit.AssertQuietAsync();
        await _kit.Stop.CancelAsync();
        await run.WaitAsync(SourceTestKit.Timeout);
        Assert.True(File.Exists(path));

        FolderSource restarted = Create(doneDir: "done");
        restarted.Scan();
        Assert.Single(restarted.Scan()!);
    }

    [Fact]
    public void Constructor_NoPath_ThrowsSourceException()
    {
        SourceException ex = Assert.Throws<SourceException>(() => new FolderSource(new SourceSettings { Type = "folder" }, _kit.Context, s_wav));
        Assert.Contains("needs a path", ex.Message, StringComparison.Ordinal);
    }
}
