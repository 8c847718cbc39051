using System.CommandLine;
using EdgeCL.Cli.Output;
using EdgeCL.Onnx.Sessions;
using Microsoft.Extensions.Logging;

namespace EdgeCL.Cli.Commands;

/// <summary>Options shared by several commands.</summary>
internal static class CommonOptions
{
    public static Option<bool> Json() => new("--json") { Description = "Write the result as JSON on stdout." };

    public static Option<string> Backbone(bool required = true) => new("--backbone", "-b")
    {
        Description = "Backbone name (models/<name>/backbone.json), a backbone.json path, or an .onnx path with edgecl.* metadata.",
        Required = required,
    };

    public static Option<string?> Models() => new("--models")
    {
        Description = "Models folder (default: $EDGECL_MODELS, or the nearest models/ folder).",
    };

    public static Option<string> Providers() => new("--providers")
    {
        Description = "Execution providers to try in order, e.g. tensorrt,cuda,dml,cpu. CPU is always the last resort.",
        DefaultValueFactory = _ => "cpu",
    };

    public static Option<int> Threads() => new("--threads")
    {
        Description = "ONNX Runtime intra-op threads (0 = runtime default). 1 is fastest for small models on 2 cores.",
        DefaultValueFactory = _ => 1,
    };

    public static Option<string> State(bool required = true) => new("--state", "-s")
    {
        Description = "Prototype state file (created on first learn, replaced atomically).",
        Required = required,
    };

    public static Option<int> Batch() => new("--batch")
    {
        Description = $"Images per backbone run (1..{SessionOptionsSpec.MaxBatch}; default by provider: 64 on CUDA/TensorRT/DirectML, 1 on CPU). " +
            "The speech backbone runs one clip at a time with its 9 windows in one batch.",
        DefaultValueFactory = _ => 0,
    };

    /// <summary>The batch buffers to open an image backbone with: <c>--batch</c>, or the largest provider default of the chain.</summary>
    /// <exception cref="ArgumentException"><c>--batch</c> out of range.</exception>
    public static int BatchCapacity(int requested, SessionOptionsSpec sessions)
    {
        if (requested is < 0 or > SessionOptionsSpec.MaxBatch)
            throw new ArgumentException($"--batch {requested} is out of range; use 1..{SessionOptionsSpec.MaxBatch}, or leave it out to choose by provider.");
        return requested > 0 ? requested : sessions.Providers.Max(SessionOptionsSpec.DefaultBatch);
    }

    /// <summary>The batch to run: <c>--batch</c>, or the default of the provider the chain settled on.</summary>
    public static int BatchFor(int requested, ExecutionProvider active, int capacity) =>
        requested > 0 ? requested : Math.Min(capacity, SessionOptionsSpec.DefaultBatch(active));

    /// <summary>Where the provider chain says, in one line on stderr, that it fell back (e.g. CUDA absent, running on CPU).</summary>
    public static ILogger ProviderLog => new WriterLogger<OnnxSession>(Console.Error, "providers"); // the current stderr, each time

    public static SessionOptionsSpec Sessions(ParseResult parse, Option<string> providers, Option<int> threads) => new()
    {
        Providers = SessionOptionsSpec.ParseChain(parse.GetValue(providers)!),
        IntraOpThreads = parse.GetValue(threads),
    };
}
