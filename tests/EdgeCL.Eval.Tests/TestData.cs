using System.Text.Json;
using EdgeCL.Core.Serialization;
using EdgeCL.Onnx.Audio;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Graph;

namespace EdgeCL.Eval.Tests;

/// <summary>A temp folder with test data: a tiny image backbone, PGM and WAV datasets, .npy embeddings.</summary>
internal sealed class TestData : IDisposable
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "edgecl-eval-" + Guid.NewGuid().ToString("N"));

    public TestData() => Directory.CreateDirectory(Root);

    public string Models => Path.Combine(Root, "models");

    public string Path_(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>models/tiny: an 8×8 grey ConvBn embedder (6-d).</summary>
    public void TinyBackbone(int seed = 3)
    {
        TinyModel model = TinyModels.ConvBnEmbedder(1, 8, 8, 6, seed);
        string dir = Path.Combine(Models, "tiny");
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "tiny.onnx"), model.Bytes);
        var manifest = new BackboneManifest
        {
            Name = "tiny", Kind = "image", Model = "tiny.onnx", EmbeddingDimension = 6,
            Image = new ImagePreprocessing { Width = 8, Height = 8, Channels = 1, Scale = 1f / 255, Mean = [0.5f], Std = [0.5f] },
            Files = [new BackboneFile { Path = "tiny.onnx", Sha256 = SpaceIdentity.Sha256Hex(model.Bytes) }],
        };
        File.WriteAllText(Path.Combine(dir, "backbone.json"), JsonSerializer.Serialize(manifest, BackboneJsonContext.Default.BackboneManifest));
    }

    /// <summary>root/&lt;class&gt;/*.pgm: three visually distinct 8×8 classes with per-file jitter.</summary>
    public string ImageDataset(string name = "images", int perClass = 6, int seed = 1)
    {
        var rng = new Random(seed);
        string root = Path.Combine(Root, name);
        foreach (string label in new[] { "left", "bottom", "diag" })
        {
            Directory.CreateDirectory(Path.Combine(root, label));
            for (int i = 0; i < perClass; i++)
                File.WriteAllBytes(Path.Combine(root, label, $"{label}_{i}.pgm"), Pgm(8, 8, (x, y) => (byte)Math.Clamp(
                    (label switch { "left" => x < 4, "bottom" => y >= 4, _ => Math.Abs(x - y) < 2 } ? 220 : 20) + rng.Next(-15, 16), 0, 255)));
        }
        return root;
    }

    /// <summary>root/&lt;class&gt;/*.wav: 0.5 s tones per class with amplitude jitter, int16.</summary>
    public string AudioDataset(string name = "audio", int perClass = 4)
    {
        string root = Path.Combine(Root, name);
        foreach (var (label, hz) in new[] { ("low", 300.0), ("high", 1200.0) })
        {
            Directory.CreateDirectory(Path.Combine(root, label));
            for (int i = 0; i < perClass; i++)
                WavWriter.WriteMono16(Path.Combine(root, label, $"{label}_{i}.wav"), Tone(hz, 8000, 4000 + 500 * i), 16000);
        }
        return root;
    }

    /// <summary>x.npy + labels: clustered 16-d vectors sharing a large common offset (so centring matters).</summary>
    public string Embeddings(string name = "emb.npy", int classes = 5, int perClass = 12, int dimension = 16, int seed = 7)
    {
        var rng = new Random(seed);
        var centres = new float[classes][];
        for (int c = 0; c < classes; c++)
            centres[c] = Enumerable.Range(0, dimension).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var data = new List<float>();
        var labels = new List<string>();
        for (int c = 0; c < classes; c++)
            for (int i = 0; i < perClass; i++)
            {
                for (int j = 0; j < dimension; j++)
                    data.Add(3f + centres[c][j] + 0.35f * (float)(rng.NextDouble() - 0.5));
                labels.Add("class" + c);
            }
        string path = Path.Combine(Root, name);
        using (FileStream f = File.Create(path))
            Npy.Write(f, data.ToArray(), [classes * perClass, dimension]);
        File.WriteAllLines(path + ".labels.txt", labels);
        return path;
    }

    public static float[] Tone(double hz, int samples, double amplitude)
    {
        var x = new float[samples];
        for (int i = 0; i < samples; i++)
            x[i] = (float)(amplitude * Math.Sin(2 * Math.PI * hz * i / 16000) * Math.Min(1, Math.Min(i, samples - i) / 800.0));
        return x;
    }

    public static byte[] Pgm(int w, int h, Func<int, int, byte> pixel)
    {
        var header = System.Text.Encoding.ASCII.GetBytes($"P5\n{w} {h}\n255\n");
        var data = new byte[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                data[y * w + x] = pixel(x, y);
        return [.. header, .. data];
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
