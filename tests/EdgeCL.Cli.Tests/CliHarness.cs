using System.Text.Json;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Graph;

[assembly: CollectionBehavior(DisableTestParallelization = true)] // tests redirect the process-wide Console

namespace EdgeCL.Cli.Tests;

/// <summary>Runs <c>edgecl</c> in-process through Program.Main and captures stdout/stderr.</summary>
internal static class CliHarness
{
    /// <summary>As <see cref="Run"/>, with <paramref name="stdin"/> as standard input.</summary>
    public static (int Code, string Out, string Err) RunWithInput(string stdin, params string[] args)
    {
        TextReader oldIn = Console.In;
        Console.SetIn(new StringReader(stdin));
        try
        {
            return Run(args);
        }
        finally
        {
            Console.SetIn(oldIn);
        }
    }

    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        TextWriter oldOut = Console.Out, oldErr = Console.Error;
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            Task<int> run = Program.Main(args);
            if (!run.Wait(TimeSpan.FromMinutes(3)))
                throw new TimeoutException($"edgecl {string.Join(' ', args)} did not finish in 3 minutes.");
            return (run.Result, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
        }
    }
}

/// <summary>A temp folder with a tiny image backbone (models/tiny) and a folder-per-class dataset of PGM files.</summary>
internal sealed class TinyWorld : IDisposable
{
    public TinyWorld(int seed = 3)
    {
        Directory.CreateDirectory(Root);
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
        // Two visually distinct classes: bright left half vs bright bottom half, with per-file jitter.
        var rng = new Random(seed);
        foreach (string label in new[] { "left", "bottom" })
        {
            Directory.CreateDirectory(Path.Combine(Data, label));
            for (int i = 0; i < 6; i++)
                File.WriteAllBytes(Path.Combine(Data, label, $"{label}_{i}.pgm"), Pgm(8, 8, (x, y) =>
                    (byte)Math.Clamp((label == "left" ? (x < 4 ? 220 : 20) : (y >= 4 ? 220 : 20)) + rng.Next(-15, 16), 0, 255)));
        }
    }

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "edgecl-cli-" + Guid.NewGuid().ToString("N"));
    public string Models => Path.Combine(Root, "models");
    public string Data => Path.Combine(Root, "data");
    public string State => Path.Combine(Root, "state", "tiny.ecls");

    public string[] With(params string[] args) => [.. args, "--models", Models];

    public static byte[] Pgm(int w, int h, Func<int, int, byte> pixel)
    {
        var header = System.Text.Encoding.ASCII.GetBytes($"P5\n{w} {h}\n255\n");
        var data = new byte[w * h];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) data[y * w + x] = pixel(x, y);
        return [.. header, .. data];
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
