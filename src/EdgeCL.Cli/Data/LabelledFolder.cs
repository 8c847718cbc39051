using EdgeCL.Onnx.Errors;

namespace EdgeCL.Cli.Data;

/// <summary>One input file and its class (the folder it sits in), or no class for a flat folder.</summary>
internal readonly record struct LabelledFile(string Path, string? Label);

/// <summary>Scans a folder-per-class dataset (<c>root/&lt;class&gt;/file</c>), or a flat folder / single file.</summary>
internal static class LabelledFolder
{
    /// <summary>Lists files with a supported extension, sorted by class then name (ordinal, so runs are reproducible).</summary>
    /// <exception cref="InputFormatException">Missing path, no classes, or no usable files.</exception>
    public static IReadOnlyList<LabelledFile> Scan(string path, IReadOnlyList<string> extensions, bool requireClasses)
    {
        if (File.Exists(path))
        {
            if (requireClasses)
                throw new InputFormatException($"'{path}' is a file; learning needs a folder with one sub-folder per class, or --file with --label.");
            return [new LabelledFile(path, null)];
        }
        if (!Directory.Exists(path))
            throw new InputFormatException($"Dataset '{path}' does not exist; pass a folder with one sub-folder per class.");
        var result = new List<LabelledFile>();
        string[] classDirs = Directory.GetDirectories(path).Where(d => !System.IO.Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal).ToArray();
        foreach (string dir in classDirs)
        {
            string label = System.IO.Path.GetFileName(dir);
            result.AddRange(Files(dir, extensions).Select(f => new LabelledFile(f, label)));
        }
        if (classDirs.Length == 0)
        {
            if (requireClasses)
                throw new InputFormatException($"Dataset '{path}' has no class sub-folders; put each class's files in '{path}/<class>/'.");
            result.AddRange(Files(path, extensions).Select(f => new LabelledFile(f, null)));
        }
        if (result.Count == 0)
            throw new InputFormatException($"Dataset '{path}' holds no {string.Join("/", extensions)} files; check the folder and the backbone's input type.");
        return result;
    }

    private static IEnumerable<string> Files(string dir, IReadOnlyList<string> extensions) =>
        Directory.EnumerateFiles(dir)
            .Where(f => extensions.Contains(System.IO.Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal);
}
