using System.CommandLine;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Sessions;

namespace EdgeCL.Cli.Commands;

/// <summary><c>edgecl doctor</c>: tries each execution provider and says in one line why one cannot run.</summary>
internal static class DoctorCommand
{
    public static Command Create()
    {
        var providers = new Option<string>("--providers")
        {
            Description = "Providers to check, in order.",
            DefaultValueFactory = _ => "tensorrt,cuda,cpu",
        };
        var backbone = new Option<string>("--backbone", "-b")
        {
            Description = "Backbone whose model each provider must run (its one-sample self-test).",
            DefaultValueFactory = _ => "digits",
        };
        var models = CommonOptions.Models();
        var command = new Command("doctor",
            "Check each execution provider: its ONNX Runtime library in this build, the system libraries it loads (CUDA, cuDNN, TensorRT), " +
            "and a one-sample run of a backbone on it. Exit 0 when every listed provider runs, 1 otherwise.")
        { providers, backbone, models };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(_ =>
        {
            IReadOnlyList<ExecutionProvider> chain = SessionOptionsSpec.ParseChain(parse.GetValue(providers)!);
            string backboneName = parse.GetValue(backbone)!;
            Console.WriteLine($"edgecl {typeof(DoctorCommand).Assembly.GetName().Version?.ToString(3)}, ONNX Runtime in {ProviderRequirements.NativeFolder() ?? "(not found beside edgecl)"}");
            bool allOk = true;
            foreach (ExecutionProvider provider in chain)
            {
                string verdict = Check(provider, backboneName, parse.GetValue(models));
                allOk &= verdict.StartsWith("ok", StringComparison.Ordinal);
                Console.WriteLine($"  {provider.ToString().ToLowerInvariant(),-9} {verdict}");
            }
            return Task.FromResult(allOk ? ExitCodes.Success : ExitCodes.Failure);
        }, ct));
        return command;
    }

    /// <summary>One line: "ok …" or "unusable: …" with the first reason found.</summary>
    private static string Check(ExecutionProvider provider, string backboneName, string? models)
    {
        if (!ProviderRequirements.ProviderLibraryPresent(provider))
            return $"unusable: {ProviderRequirements.ProviderLibrary(provider)} is not in this build (CPU-only ONNX Runtime; publish.sh --cuda ships it)";
        IReadOnlyList<string> missing = ProviderRequirements.MissingSystemLibraries(provider);
        if (missing.Count > 0)
            return $"unusable: the loader cannot open {string.Join(", ", missing)} (install them or add their folder to LD_LIBRARY_PATH; README: GPU providers)";
        try
        {
            var spec = new SessionOptionsSpec { Providers = [provider] };
            using IEmbeddingBackbone b = BackboneCatalog.Open(backboneName, spec, null, models);
            if (b.ActiveProvider != provider)
            {
                string why = b is ImageBackbone image && image.Model.Session.SkippedProviders.Count > 0 ? image.Model.Session.SkippedProviders[0] : "no reason given";
                return $"unusable: {backboneName} fell back to {b.ActiveProvider.ToString().ToLowerInvariant()} ({why})";
            }
            return $"ok: {backboneName} ({b.Space.Dimension}-d) passes its one-sample self-test";
        }
        catch (Exception ex) when (ex is Onnx.Errors.ModelLoadException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            return $"unusable: {ex.Message.ReplaceLineEndings(" ")}";
        }
    }
}
