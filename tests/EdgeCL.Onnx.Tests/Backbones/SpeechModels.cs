using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Sessions;

namespace EdgeCL.Onnx.Tests.Backbones;

/// <summary>Locates models/speech/ and fails loudly (never skips) when the fetched models are absent.</summary>
internal static class SpeechModels
{
    public static string Directory { get; } = Path.Combine(FindRepoRoot(), "models", "speech");

    public static string ManifestPath => Path.Combine(Directory, "backbone.json");

    /// <summary>Fails the calling test with the fix when a model file is missing.</summary>
    public static void Require()
    {
        foreach (string f in new[] { "melspectrogram.onnx", "embedding_model.onnx" })
        {
            string path = Path.Combine(Directory, f);
            if (!File.Exists(path))
                Assert.Fail($"{path} is missing: run models/speech/fetch.sh (the openWakeWord models are CC BY-NC-SA 4.0, fetched, never committed).");
        }
    }

    public static SpeechBackbone Create(SessionOptionsSpec? options = null)
    {
        Require();
        return SpeechBackbone.FromManifestFile(ManifestPath, options);
    }

    private static string FindRepoRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
            if (File.Exists(Path.Combine(dir, "EdgeCL.sln")) && System.IO.Directory.Exists(Path.Combine(dir, "models")))
                return dir;
        throw new InvalidOperationException($"Cannot find the repository root (EdgeCL.sln) above {AppContext.BaseDirectory}.");
    }
}

/// <summary>One backbone shared by the tests of a class (session creation takes ~100 ms).</summary>
public sealed class SpeechBackboneFixture : IDisposable
{
    private readonly Lazy<SpeechBackbone> _backbone = new(() => SpeechModels.Create());

    public SpeechBackbone Backbone => _backbone.Value;

    public void Dispose()
    {
        if (_backbone.IsValueCreated)
            _backbone.Value.Dispose();
    }
}
