using System.Threading.Channels;
using EdgeCL.Device.Sources;
using EdgeCL.Onnx.Sessions;

namespace EdgeCL.Device.Tests.Sources;

/// <summary>A temporary folder, a source context rooted in it, and a channel to run sources into.</summary>
internal sealed class SourceTestKit : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public SourceTestKit()
    {
        Root = Directory.CreateTempSubdirectory("edgecl-src-").FullName;
        Context = new SourceContext
        {
            ConfigDirectory = Root,
            OpenBackbone = static () => throw new NotSupportedException("These sources do not embed."),
            SessionOptions = new SessionOptionsSpec(),
            LoggerFactory = Logs,
        };
    }

    public string Root { get; }

    public ListLoggerFactory Logs { get; } = new();

    public SourceContext Context { get; }

    public Channel<InputSample> Output { get; } = Channel.CreateUnbounded<InputSample>();

    public CancellationTokenSource Stop { get; } = new();

    public string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public string Write(string relative, string content = "data")
    {
        string path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public Task Start(IInputSource source) => Task.Run(() => source.RunAsync(Output.Writer, Stop.Token));

    public async Task<InputSample> NextAsync() => await Output.Reader.ReadAsync().AsTask().WaitAsync(Timeout);

    /// <summary>Nothing more arrives within <paramref name="milliseconds"/> (several polls of the source).</summary>
    public async Task AssertQuietAsync(int milliseconds = 300)
    {
        await Task.Delay(milliseconds);
        Assert.False(Output.Reader.TryRead(out InputSample? extra), $"Unexpected sample {extra?.Origin}");
    }

    public void Dispose()
    {
        Stop.Cancel();
        Stop.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
