using System.CommandLine;
using EdgeCL.Onnx.Sessions;

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

    public static SessionOptionsSpec Sessions(ParseResult parse, Option<string> providers, Option<int> threads) => new()
    {
        Providers = SessionOptionsSpec.ParseChain(parse.GetValue(providers)!),
        IntraOpThreads = parse.GetValue(threads),
    };
}
