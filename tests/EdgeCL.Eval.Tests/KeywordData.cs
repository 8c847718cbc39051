namespace EdgeCL.Eval.Tests;

/// <summary>The repository root, the fetched speech models and the generated keyword set; fails loudly (never skips) when absent.</summary>
internal static class KeywordData
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Models => Path.Combine(RepoRoot, "models");

    public static string Root => Environment.GetEnvironmentVariable("EDGECL_DATA") is { Length: > 0 } env
        ? Path.Combine(env, "keywords")
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "edgecl", "data", "keywords");

    public static string RequireSupport()
    {
        foreach (string f in new[] { "melspectrogram.onnx", "embedding_model.onnx" })
            if (!File.Exists(Path.Combine(Models, "speech", f)))
                Assert.Fail($"models/speech/{f} is missing: run models/speech/fetch.sh (or ops/setup.sh).");
        string support = Path.Combine(Root, "support");
        if (!Directory.Exists(support))
            Assert.Fail($"The keyword set is missing at {Root}: run ops/data/make-keywords.sh {Root} (or ops/setup.sh).");
        return support;
    }

    private static string FindRepoRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
            if (File.Exists(Path.Combine(dir, "EdgeCL.sln")) && Directory.Exists(Path.Combine(dir, "models")))
                return dir;
        throw new InvalidOperationException($"Cannot find the repository root (EdgeCL.sln) above {AppContext.BaseDirectory}.");
    }
}
