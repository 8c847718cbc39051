namespace EdgeCL.Benchmarks;

/// <summary>Backbone wrappers against raw ONNX Runtime runs (filled in with the speech and image backbones).</summary>
internal static class BackboneBenchmarks
{
    public static void Run()
    {
    }
}
