using EdgeCL.Eval.Data;
using EdgeCL.Onnx.Errors;

namespace EdgeCL.Fuzz.Targets;

/// <summary>
/// Stream manifests (<see cref="StreamManifest.Load"/>, as edgecl eval --manifest reads them), in a folder that holds the
/// files the seeds name (a.wav, b.wav, c.png, d.png) so lines get past the existence check.
/// </summary>
/// <remarks>Clear errors: <see cref="InputFormatException"/>; <see cref="ArgumentException"/> for an unknown shift or severity
/// (the CLI reports it as a usage error).</remarks>
internal sealed class ManifestTarget : IFuzzTarget
{
    private readonly string _path;

    public ManifestTarget()
    {
        string folder = ScratchFolder.Create(Name);
        foreach (string name in new[] { "a.wav", "b.wav", "c.png", "d.png" })
            File.WriteAllBytes(Path.Combine(folder, name), [0]);
        _path = Path.Combine(folder, "stream.jsonl");
    }

    public string Name => "manifest";

    public void Run(byte[] input)
    {
        File.WriteAllBytes(_path, input);
        try
        {
            StreamManifest.Load(_path, defaultSeverity: 3, seed: 1);
        }
        catch (Exception ex) when (ex is InputFormatException or ArgumentException)
        {
            // The documented answers to a bad manifest.
        }
    }
}
