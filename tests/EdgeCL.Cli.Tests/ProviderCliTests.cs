using EdgeCL.Core.Serialization;

namespace EdgeCL.Cli.Tests;

public sealed class ProviderCliTests
{
    [Fact]
    public void Doctor_CpuBuild_CudaAndTensorRtSayWhyCpuRuns()
    {
        using var w = new TinyWorld();
        var (code, stdout, stderr) = CliHarness.Run(w.With("doctor", "--providers", "tensorrt,cuda,cpu", "-b", "tiny"));
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Equal("", stderr);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.Contains("tensorrt  unusable: libonnxruntime_providers_tensorrt.so is not in this build", lines[1], StringComparison.Ordinal);
        Assert.Contains("cuda      unusable: libonnxruntime_providers_cuda.so is not in this build", lines[2], StringComparison.Ordinal);
        Assert.Contains("cpu       ok: tiny (6-d) passes its one-sample self-test", lines[3], StringComparison.Ordinal);
    }

    [Fact]
    public void Embed_GpuChainOnCpuBuild_OneFallbackLineAndTheRunCompletes()
    {
        using var w = new TinyWorld();
        string output = Path.Combine(w.Root, "e.npy");
        var (code, stdout, stderr) = CliHarness.Run(w.With("embed", "-b", "tiny", "-d", w.Data, "-o", output, "--providers", "tensorrt,cuda,cpu"));
        Assert.Equal(ExitCodes.Success, code);
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("edgecl providers: warning: running on Cpu: TensorRt: not in this ONNX Runtime build", line, StringComparison.Ordinal);
        Assert.Contains("Cuda: not in this ONNX Runtime build", line, StringComparison.Ordinal);
        Assert.Contains("Cpu, batch 1,", stdout, StringComparison.Ordinal); // the CPU default
    }

    [Theory]
    [InlineData("doctor", "--providers", "cuda,gpu")]
    [InlineData("embed", "-b", "tiny", "-d", "x", "-o", "x.npy", "--providers", "cuda,gpu")]
    public void UnknownProvider_OneLineUsageError(params string[] args)
    {
        using var w = new TinyWorld();
        var (code, _, stderr) = CliHarness.Run(w.With(args));
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("edgecl: error: Unknown execution provider 'gpu' in 'cuda,gpu'; use a comma-separated list of: tensorrt, cuda, dml, openvino, qnn, coreml, xnnpack, cpu.", stderr.Trim());
    }

    [Fact]
    public void Embed_Batch5_EqualsBatch1()
    {
        using var w = new TinyWorld();
        float[] Embed(string batch)
        {
            string output = Path.Combine(w.Root, $"b{batch}.npy");
            var (code, stdout, _) = CliHarness.Run(w.With("embed", "-b", "tiny", "-d", w.Data, "-o", output, "--batch", batch));
            Assert.Equal(ExitCodes.Success, code);
            Assert.Contains($"batch {batch},", stdout, StringComparison.Ordinal);
            return Npy.Read(File.ReadAllBytes(output)).Data;
        }
        float[] one = Embed("1"), five = Embed("5");
        Assert.Equal(one.Length, five.Length);
        for (int i = 0; i < one.Length; i++)
            Assert.True(Math.Abs(one[i] - five[i]) <= 1e-5f, $"[{i}] {one[i]} vs {five[i]}");
        var (bad, _, err) = CliHarness.Run(w.With("embed", "-b", "tiny", "-d", w.Data, "-o", Path.Combine(w.Root, "x.npy"), "--batch", "300"));
        Assert.Equal(ExitCodes.Usage, bad);
        Assert.Equal("edgecl: error: --batch 300 is out of range; use 1..256, or leave it out to choose by provider.", err.Trim());
    }
}
