using EdgeCL.Onnx.Audio;
using EdgeCL.Onnx.Backbones;

namespace EdgeCL.Device.Tests.Audio;

/// <summary>The fetched speech models (models/speech) and the generated keyword set; fails loudly (never skips) when absent.</summary>
internal static class SpeechData
{
    public const int Rate = 16000;

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string ModelsDirectory => Path.Combine(RepoRoot, "models", "speech");

    public static string ManifestPath => Path.Combine(ModelsDirectory, "backbone.json");

    public static string VadPath => Path.Combine(ModelsDirectory, "silero_vad.onnx");

    public static string KeywordRoot => Environment.GetEnvironmentVariable("EDGECL_DATA") is { Length: > 0 } env
        ? Path.Combine(env, "keywords")
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "edgecl", "data", "keywords");

    /// <summary>Fails the calling test with the fix when a model file is missing.</summary>
    public static void RequireModels()
    {
        foreach (string f in new[] { "melspectrogram.onnx", "embedding_model.onnx", "silero_vad.onnx" })
            if (!File.Exists(Path.Combine(ModelsDirectory, f)))
                Assert.Fail($"models/speech/{f} is missing: run models/speech/fetch.sh (or ops/setup.sh).");
    }

    /// <summary>Fails the calling test with the fix when the keyword set is missing; returns its root.</summary>
    public static string RequireKeywords()
    {
        RequireModels();
        if (!Directory.Exists(Path.Combine(KeywordRoot, "support")) || !Directory.Exists(Path.Combine(KeywordRoot, "test")))
            Assert.Fail($"The keyword set is missing at {KeywordRoot}: run ops/data/make-keywords.sh {KeywordRoot} (or ops/setup.sh).");
        return KeywordRoot;
    }

    public static SpeechBackbone OpenBackbone() => OpenBackbone("speech");

    /// <summary>Opens the speech backbone in models/<paramref name="folder"/> (its fetch.sh links the same models).</summary>
    public static SpeechBackbone OpenBackbone(string folder)
    {
        RequireModels();
        string manifest = Path.Combine(RepoRoot, "models", folder, "backbone.json");
        foreach (string f in new[] { "melspectrogram.onnx", "embedding_model.onnx" })
            if (!File.Exists(Path.Combine(RepoRoot, "models", folder, f)))
                Assert.Fail($"models/{folder}/{f} is missing: run models/{folder}/fetch.sh (or ops/setup.sh).");
        return SpeechBackbone.FromManifestFile(manifest);
    }

    /// <summary>The keyword classes (sub-folders of support/), sorted.</summary>
    public static string[] Words() =>
        Directory.GetDirectories(Path.Combine(RequireKeywords(), "support")).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();

    /// <summary>The first <paramref name="count"/> files of a word in a split (sorted, so deterministic).</summary>
    public static string[] Clips(string split, string word, int count) =>
        Directory.GetFiles(Path.Combine(RequireKeywords(), split, word), "*.wav").Order(StringComparer.Ordinal).Take(count).ToArray();

    public static float[] Read(string path) => WavReader.ReadMono(path, Rate);

    /// <summary>Deterministic light noise (uniform ±<paramref name="amplitude"/> LSB), like a quiet room through a microphone.</summary>
    public static float[] Noise(int samples, float amplitude, int seed)
    {
        var rng = new Random(seed);
        var x = new float[samples];
        for (int i = 0; i < x.Length; i++)
            x[i] = MathF.Round((float)(rng.NextDouble() * 2 - 1) * amplitude);
        return x;
    }

    public static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
        System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(a, b);

    private static string FindRepoRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
            if (File.Exists(Path.Combine(dir, "EdgeCL.sln")) && Directory.Exists(Path.Combine(dir, "models")))
                return dir;
        throw new InvalidOperationException($"Cannot find the repository root (EdgeCL.sln) above {AppContext.BaseDirectory}.");
    }
}
