using System.Globalization;
using EdgeCL.Core.Evaluation;
using EdgeCL.Core.Serialization;
using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Images;

namespace EdgeCL.Eval.Data;

/// <summary>Loads folder-per-class datasets (optionally with a domain level) and .npy embeddings with labels.</summary>
/// <remarks>
/// <para>Layouts: <c>root/&lt;class&gt;/file</c> or <c>root/&lt;domain&gt;/&lt;class&gt;/file</c> (WAV or images,
/// never both), or <c>x.npy</c> + <c>x.npy.labels.txt</c> (one label per row, as <c>edgecl embed</c> writes) with
/// optional <c>x.npy.domains.txt</c> and <c>x.npy.files.txt</c>. Hidden files and folders and files of other types
/// are ignored. Every problem is one <see cref="InputFormatException"/> line naming the path and the fix, raised
/// while listing, before any file is decoded.</para>
/// </remarks>
public static class DatasetLoader
{
    /// <summary>Audio file extensions.</summary>
    public static IReadOnlyList<string> AudioExtensions { get; } = [".wav"];

    /// <summary>Loads a dataset.</summary>
    /// <param name="path">A folder or an .npy file.</param>
    /// <param name="maxPerClass">Keep at most this many items per (domain, class), drawn with <paramref name="seed"/> (0 = all).</param>
    /// <param name="seed">Seed of that subsample.</param>
    /// <exception cref="InputFormatException">Missing path, no classes, mixed file types or layouts, empty classes, bad .npy or labels.</exception>
    public static Dataset Load(string path, int maxPerClass = 0, long seed = 1)
    {
        ArgumentNullException.ThrowIfNull(path);
        Dataset full = path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) ? LoadNpy(path) : LoadFolder(path);
        return maxPerClass > 0 ? Subsample(full, maxPerClass, seed) : full;
    }

    /// <summary>Keeps only the listed classes.</summary>
    /// <exception cref="InputFormatException">A listed class is not in the dataset.</exception>
    public static Dataset Restrict(Dataset dataset, IReadOnlyList<string> classes)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(classes);
        if (classes.Count == 0)
            return dataset;
        foreach (string c in classes)
            if (!dataset.Classes.Contains(c))
                throw new InputFormatException($"--classes names '{c}', which '{dataset.Root}' does not have; classes: {string.Join(", ", dataset.Classes)}.");
        var keep = new HashSet<string>(classes, StringComparer.Ordinal);
        return new Dataset(dataset.Root, dataset.Kind, dataset.Items.Where(i => keep.Contains(i.Label)).ToList(), dataset.Embeddings, dataset.Dimension);
    }

    /// <summary>The kind of a media file by extension, or null for other files.</summary>
    public static DatasetKind? KindOf(string file)
    {
        string ext = Path.GetExtension(file).ToLowerInvariant();
        if (AudioExtensions.Contains(ext))
            return DatasetKind.Audio;
        if (ImageDecoder.Extensions.Contains(ext))
            return DatasetKind.Image;
        return null;
    }

    private static Dataset LoadFolder(string root)
    {
        if (File.Exists(root))
            throw new InputFormatException($"Dataset '{root}' is a file; give a folder with one sub-folder per class, an .npy file, or --manifest for a stream file.");
        if (!Directory.Exists(root))
            throw new InputFormatException($"Dataset '{root}' does not exist; give a folder with one sub-folder per class.");
        string[] top = Visible(Directory.GetDirectories(root));
        if (top.Length == 0)
            throw new InputFormatException($"Dataset '{root}' has no classes: put each class's files in '{root}/<class>/' (or '{root}/<domain>/<class>/').");

        var items = new List<DatasetItem>();
        var kinds = new Dictionary<DatasetKind, string>();
        bool? domainLayout = null;
        foreach (string dir in top)
        {
            string name = Path.GetFileName(dir);
            bool hasMedia = MediaFiles(dir).Any();
            string[] sub = Visible(Directory.GetDirectories(dir));
            bool isDomain = !hasMedia && sub.Length > 0;
            if (!hasMedia && !isDomain)
                throw new InputFormatException($"Class folder '{dir}' holds no WAV or image files; add samples or remove the folder.");
            if (domainLayout is not null && domainLayout != isDomain)
                throw new InputFormatException(
                    $"Dataset '{root}' mixes class folders and domain folders ('{name}'); use root/<class>/file or root/<domain>/<class>/file throughout.");
            domainLayout = isDomain;
            if (!isDomain)
            {
                AddClass(items, kinds, root, dir, name, null);
                continue;
            }
            foreach (string classDir in sub)
            {
                if (!MediaFiles(classDir).Any())
                    throw new InputFormatException($"Class folder '{classDir}' holds no WAV or image files; add samples or remove the folder.");
                AddClass(items, kinds, root, classDir, Path.GetFileName(classDir), name);
            }
        }
        if (kinds.Count > 1)
            throw new InputFormatException(
                $"Dataset '{root}' mixes file types ('{kinds[DatasetKind.Audio]}' is audio, '{kinds[DatasetKind.Image]}' is an image); one dataset holds one kind of sample.");
        return new Dataset(root, kinds.Keys.Single(), items, null, 0);
    }

    private static void AddClass(List<DatasetItem> items, Dictionary<DatasetKind, string> kinds, string root, string dir, string label, string? domain)
    {
        foreach (string file in MediaFiles(dir))
        {
            DatasetKind kind = KindOf(file)!.Value;
            kinds.TryAdd(kind, file);
            if (kinds.Count > 1)
                break;
            items.Add(new DatasetItem(Path.GetFullPath(file), Path.GetRelativePath(root, file).Replace('\\', '/'), -1, label, domain));
        }
    }

    private static IEnumerable<string> MediaFiles(string dir) =>
        Directory.EnumerateFiles(dir).Where(f => !Path.GetFileName(f).StartsWith('.') && KindOf(f) is not null).Order(StringComparer.Ordinal);

    private static string[] Visible(string[] dirs) => dirs.Where(d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal).ToArray();

    private static Dataset LoadNpy(string path)
    {
        if (!File.Exists(path))
            throw new InputFormatException($"Embeddings file '{path}' does not exist.");
        string labelsPath = path + ".labels.txt";
        if (!File.Exists(labelsPath))
            throw new InputFormatException($"Embeddings '{path}' need labels in '{labelsPath}' (one per row, as 'edgecl embed' writes).");
        float[] data;
        int[] shape;
        try
        {
            (data, shape) = Npy.Read(File.ReadAllBytes(path));
        }
        catch (Core.Errors.StateFormatException ex)
        {
            throw new InputFormatException($"Embeddings '{path}': {ex.Message}", ex);
        }
        if (shape.Length != 2 || shape[0] == 0 || shape[1] == 0)
            throw new InputFormatException($"Embeddings '{path}' have shape ({string.Join(", ", shape)}); expected (rows, dimension).");
        string[] labels = ReadLines(labelsPath);
        if (labels.Length != shape[0])
            throw new InputFormatException($"'{labelsPath}' has {labels.Length} labels but '{path}' has {shape[0]} rows; give one label per row.");
        string[]? domains = File.Exists(path + ".domains.txt") ? ReadLines(path + ".domains.txt") : null;
        if (domains is not null && domains.Length != shape[0])
            throw new InputFormatException($"'{path}.domains.txt' has {domains.Length} lines but '{path}' has {shape[0]} rows.");
        string[]? files = File.Exists(path + ".files.txt") ? ReadLines(path + ".files.txt") : null;
        if (files is not null && files.Length != shape[0])
            files = null;
        if (!Core.Vectors.VectorKernels.AllFinite(data))
            throw new InputFormatException($"Embeddings '{path}' contain NaN or infinity at value {Core.Vectors.VectorKernels.IndexOfNonFinite(data)}.");
        var items = new List<DatasetItem>(shape[0]);
        for (int i = 0; i < shape[0]; i++)
        {
            if (string.IsNullOrWhiteSpace(labels[i]))
                throw new InputFormatException($"'{labelsPath}' line {i + 1} is empty; every row needs a label.");
            string key = files?[i] ?? string.Create(CultureInfo.InvariantCulture, $"row{i}");
            items.Add(new DatasetItem(Path.GetFullPath(path), key, i, labels[i], domains?[i]));
        }
        return new Dataset(path, DatasetKind.Embeddings, items, data, shape[1]);
    }

    private static string[] ReadLines(string path)
    {
        string[] lines = File.ReadAllLines(path);
        int n = lines.Length;
        while (n > 0 && lines[n - 1].Length == 0)
            n--;
        return lines[..n].Select(l => l.Trim()).ToArray();
    }

    private static Dataset Subsample(Dataset full, int maxPerClass, long seed)
    {
        var random = new DeterministicRandom(DeterministicRandom.Derive(seed, "max-per-class"));
        var kept = new List<DatasetItem>();
        foreach (var group in full.Items.GroupBy(i => (i.Domain, i.Label)))
        {
            var list = group.ToList();
            if (list.Count > maxPerClass)
            {
                random.Shuffle(list);
                list = list.GetRange(0, maxPerClass).OrderBy(i => i.Key, StringComparer.Ordinal).ToList();
            }
            kept.AddRange(list);
        }
        return new Dataset(full.Root, full.Kind, kept, full.Embeddings, full.Dimension);
    }
}
