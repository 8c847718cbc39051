namespace EdgeCL.Onnx.Sessions;

/// <summary>How to create ONNX Runtime sessions: provider chain, threads, device.</summary>
public sealed record SessionOptionsSpec
{
    /// <summary>Providers to try in order; the first that loads and passes the self-test wins. CPU is always the last resort.</summary>
    public IReadOnlyList<ExecutionProvider> Providers { get; init; } = [ExecutionProvider.Cpu];

    /// <summary>Intra-op threads. 1 is fastest for small models on a 2-core VM (feasibility.md §6); 0 = ORT default.</summary>
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>Whether idle ORT worker threads spin. Off on devices that also capture and sync.</summary>
    public bool AllowSpinning { get; init; }

    /// <summary>GPU/NPU device index for accelerator providers.</summary>
    public int DeviceId { get; init; }

    /// <summary>Folder for TensorRT engine caches (engine builds take minutes on a Jetson).</summary>
    public string? TensorRtCachePath { get; init; }

    /// <summary>The largest batch an offline run (embed, eval) may ask of a backbone.</summary>
    public const int MaxBatch = 256;

    /// <summary>
    /// The backbone batch of offline runs (<c>edgecl embed</c>, <c>edgecl eval</c>) when <c>--batch</c> is not given: 64 on a GPU
    /// provider, 1 on the CPU (on the shared 2-core dev VM, batch 32 was not reliably faster for the digits backbone: README, "Batching").
    /// The device's per-sample path always runs batch 1.
    /// </summary>
    public static int DefaultBatch(ExecutionProvider provider) => provider is ExecutionProvider.Cuda or ExecutionProvider.TensorRt or ExecutionProvider.DirectMl ? 64 : 1;

    /// <summary>The defaults: CPU only, one thread, no spinning.</summary>
    public static SessionOptionsSpec Default { get; } = new();

    /// <summary>Parses a chain such as <c>tensorrt,cuda,dml,cpu</c>.</summary>
    /// <exception cref="ArgumentException">An unknown provider name, with the list of known names.</exception>
    public static IReadOnlyList<ExecutionProvider> ParseChain(string chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        var result = new List<ExecutionProvider>();
        foreach (string raw in chain.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            ExecutionProvider p = raw.ToLowerInvariant() switch
            {
                "cpu" => ExecutionProvider.Cpu,
                "cuda" => ExecutionProvider.Cuda,
                "tensorrt" or "trt" => ExecutionProvider.TensorRt,
                "dml" or "directml" => ExecutionProvider.DirectMl,
                "xnnpack" => ExecutionProvider.Xnnpack,
                "openvino" => ExecutionProvider.OpenVino,
                "qnn" => ExecutionProvider.Qnn,
                "coreml" => ExecutionProvider.CoreMl,
                _ => throw new ArgumentException(
                    $"Unknown execution provider '{raw}' in '{chain}'; use a comma-separated list of: tensorrt, cuda, dml, openvino, qnn, coreml, xnnpack, cpu."),
            };
            if (!result.Contains(p))
                result.Add(p);
        }
        if (result.Count == 0)
            throw new ArgumentException($"Execution provider chain '{chain}' is empty; use e.g. 'cuda,cpu' or 'cpu'.");
        return result;
    }

    /// <summary>Validates the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        if (Providers is null || Providers.Count == 0)
            throw new ArgumentException("SessionOptionsSpec.Providers must name at least one provider (e.g. cpu).");
        if (IntraOpThreads is < 0 or > 256)
            throw new ArgumentException($"SessionOptionsSpec.IntraOpThreads {IntraOpThreads} is out of range 0..256.");
        if (DeviceId < 0)
            throw new ArgumentException($"SessionOptionsSpec.DeviceId {DeviceId} must be >= 0.");
    }
}
