using System.Text.Json;
using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Sessions;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Onnx.Backbones;

/// <summary>Finds backbones by name (<c>models/&lt;name&gt;/backbone.json</c>), manifest path or .onnx path, verifies and opens them.</summary>
public static class BackboneCatalog
{
    /// <summary>Environment variable that points at the models folder.</summary>
    public const string ModelsEnvironmentVariable = "EDGECL_MODELS";

    /// <summary>The models folder: $EDGECL_MODELS, else the nearest <c>models/</c> with a backbone.json above the working directory or beside the executable.</summary>
    public static string? FindModelsRoot()
    {
        string? env = Environment.GetEnvironmentVariable(ModelsEnvironmentVariable);
        if (!string.IsNullOrEmpty(env))
            return env;
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (DirectoryInfo? d = new(start); d is not null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "models");
                if (Directory.Exists(candidate) && Directory.EnumerateFiles(candidate, "backbone.json", SearchOption.AllDirectories).Any())
                    return candidate;
            }
        }
        return null;
    }

    /// <summary>Every manifest under the models folder.</summary>
    public static IReadOnlyList<(BackboneManifest Manifest, string Directory)> List(string modelsRoot)
    {
        var result = new List<(BackboneManifest, string)>();
        if (!Directory.Exists(modelsRoot))
            return result;
        foreach (string file in Directory.EnumerateFiles(modelsRoot, "backbone.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            result.Add((LoadManifest(file), Path.GetDirectoryName(file)!));
        return result;
    }

    /// <summary>Resolves a name, folder, manifest or .onnx path and opens the backbone.</summary>
    /// <param name="nameOrPath">Backbone name, folder, manifest or .onnx path.</param>
    /// <param name="sessionOptions">Provider chain and threads.</param>
    /// <param name="logger">Receives the provider chain's fallback line.</param>
    /// <param name="modelsRoot">Models folder, or null for the default lookup.</param>
    /// <param name="maxBatch">Largest batch of an image backbone's runs (its buffers are sized for it; 1 on a device). The speech
    /// backbone always runs one clip, its windows batched together.</param>
    /// <exception cref="ModelLoadException">Not found, checksum mismatch, or the model does not fit.</exception>
    public static IEmbeddingBackbone Open(string nameOrPath, SessionOptionsSpec sessionOptions, ILogger? logger = null, string? modelsRoot = null, int maxBatch = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrPath);
        if (nameOrPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            return OpenBareModel(nameOrPath, sessionOptions, logger, maxBatch);
        string manifestPath = ResolveManifestPath(nameOrPath, modelsRoot);
        BackboneManifest manifest = LoadManifest(manifestPath);
        string dir = Path.GetDirectoryName(Path.GetFullPath(manifestPath))!;
        // Each backbone reads its model files through ReadVerified (one read, one hash per file).
        return manifest.Kind switch
        {
            "image" => new ImageBackbone(manifest, dir, sessionOptions, logger, maxBatch),
            "speech-openwakeword" => new SpeechBackbone(manifest, dir, sessionOptions, logger),
            _ => throw new ModelLoadException($"Backbone manifest '{manifestPath}' has unknown kind '{manifest.Kind}'; use image or speech-openwakeword."),
        };
    }

    /// <summary>Finds the manifest for a name, folder or manifest path.</summary>
    /// <exception cref="ModelLoadException">Nothing matches; the message lists the known backbones.</exception>
    public static string ResolveManifestPath(string nameOrPath, string? modelsRoot = null)
    {
        if (File.Exists(nameOrPath) && nameOrPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            return nameOrPath;
        if (Directory.Exists(nameOrPath) && File.Exists(Path.Combine(nameOrPath, "backbone.json")))
            return Path.Combine(nameOrPath, "backbone.json");
        modelsRoot ??= FindModelsRoot();
        if (modelsRoot is not null)
        {
            string byName = Path.Combine(modelsRoot, nameOrPath, "backbone.json");
            if (File.Exists(byName))
                return byName;
            foreach (var (manifest, dir) in List(modelsRoot))
                if (manifest.Name == nameOrPath)
                    return Path.Combine(dir, "backbone.json");
        }
        string known = modelsRoot is null ? "no models folder found (set EDGECL_MODELS)" :
            "known: " + string.Join(", ", List(modelsRoot).Select(m => m.Manifest.Name));
        throw new ModelLoadException($"Backbone '{nameOrPath}' not found ({known}); pass a name, a backbone.json or an .onnx path.");
    }

    /// <summary>Parses a manifest with source-generated JSON; unknown keys are errors (catches typos).</summary>
    /// <exception cref="ModelLoadException">Missing, unreadable or malformed manifest.</exception>
    public static BackboneManifest LoadManifest(string path)
    {
        try
        {
            using FileStream stream = File.OpenRead(path);
            BackboneManifest? manifest = JsonSerializer.Deserialize(stream, BackboneJsonContext.Default.BackboneManifest);
            return manifest ?? throw new ModelLoadException($"Backbone manifest '{path}' is empty.");
        }
        catch (JsonException ex)
        {
            throw new ModelLoadException($"Backbone manifest '{path}' is invalid at {ex.Path ?? "$"} (line {ex.LineNumber + 1}): {FirstSentence(ex.Message)}", ex);
        }
        catch (IOException ex)
        {
            throw new ModelLoadException($"Backbone manifest '{path}' cannot be read ({ex.Message}).", ex);
        }
    }

    /// <summary>Checks that every file of the manifest exists and matches its SHA-256.</summary>
    /// <exception cref="ModelLoadException">A file is missing (names the fetch script) or its hash differs.</exception>
    public static void VerifyFiles(BackboneManifest manifest, string directory)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        foreach (BackboneFile file in manifest.Files)
            ReadVerified(manifest, directory, file.Path);
    }

    /// <summary>Reads one model file of a manifest and checks it against the manifest's SHA-256 (one read, one hash).</summary>
    /// <exception cref="ModelLoadException">Not listed in the manifest, missing (names the fetch script), unreadable, or a different hash.</exception>
    public static byte[] ReadVerified(BackboneManifest manifest, string directory, string file)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        BackboneFile entry = manifest.Files.FirstOrDefault(f => f.Path == file)
            ?? throw new ModelLoadException($"Manifest '{manifest.Name}' uses '{file}' but does not list it under 'files' with its sha256; add it.");
        string path = Path.Combine(directory, entry.Path);
        string fetch = manifest.Fetch is null ? "restore it from the repository" : $"run {Path.Combine(directory, manifest.Fetch)}";
        if (!File.Exists(path))
            throw new ModelLoadException($"Backbone '{manifest.Name}' is missing '{path}'; {fetch}.");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException($"Model file '{path}' cannot be read ({ex.Message}); check permissions, or delete it and {fetch}.", ex);
        }
        string actual = SpaceIdentity.Sha256Hex(bytes);
        if (!string.Equals(actual, entry.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new ModelLoadException($"Backbone '{manifest.Name}' file '{path}' has SHA-256 {actual}, expected {entry.Sha256}; the file is corrupt or a different version: delete it and {fetch}.");
        return bytes;
    }

    /// <summary>Reads a model file with a clear error when it is missing or unreadable.</summary>
    /// <exception cref="ModelLoadException">Missing or unreadable.</exception>
    public static byte[] ReadModelBytes(string path)
    {
        if (!File.Exists(path))
            throw new ModelLoadException($"Model file '{path}' does not exist; check the path or run the model's fetch script.");
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException($"Model file '{path}' cannot be read ({ex.Message}); check permissions and the disk.", ex);
        }
    }

    private static IEmbeddingBackbone OpenBareModel(string path, SessionOptionsSpec sessionOptions, ILogger? logger, int maxBatch)
    {
        // Read preprocessing from the model's own metadata (edgecl.image.*).
        using OnnxSession probe = OnnxSessionFactory.Create(path, SessionOptionsSpec.Default, _ => { }, logger);
        ImagePreprocessing? image = ImageBackbone.PreprocessingFromMetadata(probe.Session.ModelMetadata.CustomMetadataMap, path);
        if (image is null)
            throw new ModelLoadException($"Model '{path}' carries no edgecl.image.* metadata, so its preprocessing is unknown; write a backbone.json for it (see models/README.md).");
        return ImageBackbone.FromModelFile(path, image, sessionOptions, logger, maxBatch);
    }

    private static string FirstSentence(string message)
    {
        int i = message.IndexOf(". ", StringComparison.Ordinal);
        return i < 0 ? message : message[..(i + 1)];
    }
}
