using System.Diagnostics;
using System.Threading.Channels;
using EdgeCL.Device.Config;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Device.Sources;

/// <summary>Watches a folder for new files (type <c>folder</c> / <c>image-folder</c>) and offers each complete one as a sample.</summary>
/// <remarks>
/// <para>Polling every <see cref="SourceSettings.PollMs"/> is the truth: inotify misses events on network and FUSE mounts.
/// A file is offered once it has been seen with the same size and modification time in two polls in a row, so a
/// slow copy is not read half-written. Writers should still write to a temporary name and rename when done: names that
/// start with <c>.</c> or end with <c>.tmp</c> / <c>.part</c> are never offered, and a rename is atomic.</para>
/// <para>A file is moved to <see cref="SourceSettings.DoneDir"/> (or deleted) only after the agent reports it handled
/// (<see cref="InputSample.Handled"/> with true): a crash before the sample is learned leaves the file to be offered again at
/// the next start. Reported not handled, it stays where it is and is not offered again until it changes, the next start, or
/// the agent asks for it again (<see cref="InputSample.Retry"/>: the disk had been full).</para>
/// <para>With <see cref="SourceSettings.LabelsFromFolders"/>, files in immediate sub-folders are offered too, labelled with
/// the sub-folder's name (a fixed <see cref="SourceSettings.Label"/> wins); files at the top stay unlabelled.</para>
/// </remarks>
public sealed class FolderSource : IInputSource
{
    private readonly string _root;
    private readonly string? _doneDir;
    private readonly string? _label;
    private readonly bool _labelsFromFolders;
    private readonly TimeSpan _poll;
    private readonly HashSet<string> _extensions;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, FileStamp> _seen = new(StringComparer.Ordinal);
    private readonly HashSet<string> _inFlight = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FileStamp> _refused = new(StringComparer.Ordinal);

    /// <summary>Creates the source; nothing is read until <see cref="RunAsync"/>.</summary>
    /// <param name="settings">The source's settings: <c>path</c> (required), <c>label</c>, <c>labels_from_folders</c>, <c>poll_ms</c>, <c>done_dir</c>.</param>
    /// <param name="context">Paths are resolved against the config folder.</param>
    /// <param name="extensions">File extensions to offer (the backbone's, e.g. <c>.wav</c> or <c>.png</c>); case-insensitive, with or without the dot.</param>
    /// <exception cref="SourceException">A setting is missing or out of range.</exception>
    public FolderSource(SourceSettings settings, SourceContext context, IReadOnlyList<string> extensions)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(extensions);
        if (string.IsNullOrWhiteSpace(settings.Path))
            throw new SourceException($"A '{settings.Type ?? "folder"}' source needs a path (the folder to watch); add \"path\" to it.");
        if (settings.PollMs is < 10 or > 60_000)
            throw new SourceException($"poll_ms of folder {settings.Path} is {settings.PollMs}; use 10..60000 (250 is the default).");
        if (extensions.Count == 0)
            throw new SourceException($"Folder source {settings.Path}: the backbone reads no file types, so nothing can be offered; use a file-based backbone.");
        _root = Path.TrimEndingDirectorySeparator(context.Resolve(settings.Path));
        _doneDir = settings.DoneDir is null ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(settings.DoneDir, _root));
        _label = settings.Label;
        _labelsFromFolders = settings.LabelsFromFolders;
        _poll = TimeSpan.FromMilliseconds(settings.PollMs);
        _extensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string extension in extensions)
            _extensions.Add(extension.StartsWith('.') ? extension : "." + extension);
        _logger = context.LoggerFactory.CreateLogger<FolderSource>();
        Name = $"folder:{_root}";
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    /// <remarks>Runs until cancelled (a watched folder never ends), then returns.</remarks>
    public async Task RunAsync(ChannelWriter<InputSample> output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        bool missing = false;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                List<(string Path, string? Label)>? ready = Scan();
                if (ready is null)
                {
                    if (!missing)
                        SourceLog.FolderMissing(_logger, Name, _root);
                    missing = true;
                }
                else
                {
                    if (missing)
                        SourceLog.FolderBack(_logger, Name, _root);
                    missing = false;
                    foreach ((string path, string? label) in ready)
                        await output.WriteAsync(CreateSample(path, label), cancellationToken).ConfigureAwait(false);
                }
                await Task.Delay(_poll, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping; files offered but not handled stay for the next start.
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>One poll: the files that are complete and not yet offered, oldest first; null when the folder is missing.</summary>
    internal List<(string Path, string? Label)>? Scan()
    {
        var current = new Dictionary<string, (FileStamp Stamp, string? Label)>(StringComparer.Ordinal);
        try
        {
            if (!Directory.Exists(_root))
                return null;
            Collect(_root, _label, current);
            if (_labelsFromFolders)
            {
                foreach (string folder in Directory.EnumerateDirectories(_root))
                {
                    string name = Path.GetFileName(folder);
                    if (name.StartsWith('.') || string.Equals(folder, _doneDir, StringComparison.Ordinal))
                        continue;
                    Collect(folder, _label ?? name, current);
                }
            }
        }
        catch (Exception ex) when (ex is DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            return null; // removed or unmounted while listing
        }

        var ready = new List<(string Path, string? Label, DateTime Written)>();
        lock (_lock)
        {
            foreach ((string path, (FileStamp stamp, string? label)) in current)
            {
                if (_inFlight.Contains(path))
                    continue;
                if (_refused.TryGetValue(path, out FileStamp refusedStamp))
                {
                    if (refusedStamp == stamp)
                        continue;
                    _refused.Remove(path); // changed since: offer it again
                }
                if (_seen.TryGetValue(path, out FileStamp before) && before == stamp)
                    ready.Add((path, label, stamp.WrittenUtc));
                _seen[path] = stamp;
            }
            foreach (string gone in _seen.Keys.Where(p => !current.ContainsKey(p)).ToList())
                _seen.Remove(gone);
            foreach (string gone in _refused.Keys.Where(p => !current.ContainsKey(p)).ToList())
                _refused.Remove(gone);
            foreach ((string path, _, _) in ready)
            {
                _inFlight.Add(path);
                _seen.Remove(path);
            }
        }
        ready.Sort(static (a, b) => a.Written != b.Written ? a.Written.CompareTo(b.Written) : string.CompareOrdinal(a.Path, b.Path));
        return [.. ready.Select(r => (r.Path, r.Label))];
    }

    private void Collect(string folder, string? label, Dictionary<string, (FileStamp, string?)> into)
    {
        foreach (string path in Directory.EnumerateFiles(folder))
        {
            string name = Path.GetFileName(path);
            // Writers write to a hidden or .tmp/.part name and rename; those names are work in progress.
            if (name.StartsWith('.') || name.EndsWith(".tmp", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".part", StringComparison.OrdinalIgnoreCase))
                continue;
            if (!_extensions.Contains(Path.GetExtension(name)))
                continue;
            var info = new FileInfo(path);
            if (!info.Exists)
                continue; // renamed away between listing and stat
            into[path] = (new FileStamp(info.Length, info.LastWriteTimeUtc), label);
        }
    }

    private InputSample CreateSample(string path, string? label)
    {
        FileStamp stamp = Stamp(path);
        return new InputSample
        {
            Source = Name,
            Origin = path,
            FilePath = path,
            Label = label,
            CompletedTimestamp = Stopwatch.GetTimestamp(),
            Handled = handled => OnHandled(path, stamp, handled),
            Retry = () => OfferAgain(path),
        };
    }

    private void OnHandled(string path, FileStamp stamp, bool handled)
    {
        if (!handled)
        {
            SourceLog.NotHandled(_logger, Name, path);
            Refuse(path, stamp);
            return;
        }
        string action = _doneDir is null ? "delete" : "move to " + _doneDir;
        try
        {
            if (_doneDir is null)
            {
                File.Delete(path);
            }
            else
            {
                // Keep the class sub-folder under done/, so a done folder can be replayed as a dataset.
                string relative = Path.GetRelativePath(_root, path);
                string target = FreeName(Path.Combine(_doneDir, relative));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Move(path, target);
            }
            lock (_lock)
                _inFlight.Remove(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            SourceLog.CleanupFailed(_logger, Name, action, path, ex.Message.ReplaceLineEndings(" "));
            Refuse(path, stamp);
        }
    }

    private void Refuse(string path, FileStamp stamp)
    {
        lock (_lock)
        {
            _inFlight.Remove(path);
            _refused[path] = stamp;
        }
    }

    /// <summary>Forgets that a file was refused, so the next poll offers it again (unchanged files are otherwise not retried).</summary>
    private void OfferAgain(string path)
    {
        lock (_lock)
            _refused.Remove(path);
    }

    private static FileStamp Stamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? new FileStamp(info.Length, info.LastWriteTimeUtc) : default;
    }

    private static string FreeName(string target)
    {
        if (!File.Exists(target))
            return target;
        string stem = Path.Combine(Path.GetDirectoryName(target)!, Path.GetFileNameWithoutExtension(target));
        string extension = Path.GetExtension(target);
        for (int i = 1; ; i++)
        {
            string candidate = $"{stem}-{i}{extension}";
            if (!File.Exists(candidate))
                return candidate;
        }
    }

    private readonly record struct FileStamp(long Length, DateTime WrittenUtc);
}
