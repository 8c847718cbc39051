using System.Diagnostics;
using System.Threading.Channels;
using EdgeCL.Device.Config;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Sources;

/// <summary>Offers a fixed list of files in order (type <c>files</c>), then ends.</summary>
/// <remarks>A file that does not exist is logged in one line and skipped; the files are never moved or deleted.</remarks>
public sealed class FileListSource : IInputSource
{
    private readonly string[] _paths;
    private readonly string? _label;
    private readonly ILogger _logger;

    /// <summary>Creates the source from <see cref="SourceSettings.Paths"/> (relative to the config folder) and <see cref="SourceSettings.Label"/>.</summary>
    /// <exception cref="SourceException">The source has no paths.</exception>
    public FileListSource(SourceSettings settings, SourceContext context)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);
        if (settings.Paths is not { Count: > 0 })
            throw new SourceException("A 'files' source needs \"paths\": a list of files; add it, or use a 'folder' source to watch a folder.");
        _paths = [.. settings.Paths.Select(context.Resolve)];
        _label = settings.Label;
        _logger = context.LoggerFactory.CreateLogger<FileListSource>();
        Name = _paths.Length == 1 ? $"files:{_paths[0]}" : $"files:{_paths.Length} files";
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    /// <remarks>Returns after the last file, or when cancelled.</remarks>
    public async Task RunAsync(ChannelWriter<InputSample> output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        foreach (string path in _paths)
        {
            if (cancellationToken.IsCancellationRequested)
                return;
            if (!File.Exists(path))
            {
                SourceLog.FileMissing(_logger, Name, path);
                continue;
            }
            var sample = new InputSample { Source = Name, Origin = path, FilePath = path, Label = _label, CompletedTimestamp = Stopwatch.GetTimestamp() };
            try
            {
                await output.WriteAsync(sample, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
