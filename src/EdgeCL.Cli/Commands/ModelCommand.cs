using System.CommandLine;
using EdgeCL.Cli.Output;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Errors;
using EdgeCL.Onnx.Sessions;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCL.Cli.Commands;

/// <summary><c>edgecl model inspect|list</c>.</summary>
internal static class ModelCommand
{
    public static Command Create()
    {
        var command = new Command("model", "Inspect ONNX models and list the backbones in the models folder.");
        command.Subcommands.Add(CreateInspect());
        command.Subcommands.Add(CreateList());
        return command;
    }

    private static Command CreateInspect()
    {
        var target = new Argument<string>("model") { Description = "An .onnx file, or a backbone name / backbone.json (inspects each of its models)." };
        var models = CommonOptions.Models();
        var json = CommonOptions.Json();
        var command = new Command("inspect", "Show a model's inputs, outputs, metadata, operators, checksum and embedding output.") { target, models, json };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(_ =>
        {
            string what = parse.GetValue(target)!;
            var paths = new List<string>();
            if (what.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            {
                paths.Add(what);
            }
            else
            {
                string manifestPath = BackboneCatalog.ResolveManifestPath(what, parse.GetValue(models));
                BackboneManifest manifest = BackboneCatalog.LoadManifest(manifestPath);
                string dir = Path.GetDirectoryName(Path.GetFullPath(manifestPath))!;
                BackboneCatalog.VerifyFiles(manifest, dir);
                paths.AddRange(manifest.Files.Select(f => Path.Combine(dir, f.Path)));
            }
            var results = paths.Select(Inspect).ToList();
            if (parse.GetValue(json))
                CommandRunner.WriteJson<IReadOnlyList<InspectResult>>(results, CliJsonContext.Default.IReadOnlyListInspectResult);
            else
                foreach (InspectResult r in results) Print(r);
            return Task.FromResult(ExitCodes.Success);
        }, ct));
        return command;
    }

    private static Command CreateList()
    {
        var models = CommonOptions.Models();
        var json = CommonOptions.Json();
        var command = new Command("list", "List the backbones (models/<name>/backbone.json) and whether their files are present.") { models, json };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(_ =>
        {
            string root = parse.GetValue(models) ?? BackboneCatalog.FindModelsRoot()
                ?? throw new ModelLoadException("No models folder found; pass --models DIR or set EDGECL_MODELS.");
            var listing = new List<BackboneListing>();
            foreach (var (manifest, dir) in BackboneCatalog.List(root))
            {
                bool present = manifest.Files.All(f => File.Exists(Path.Combine(dir, f.Path)));
                // Present is not ready: a truncated download or another version fails its SHA-256 at the first start.
                string? problem = null;
                if (present)
                {
                    try
                    {
                        BackboneCatalog.VerifyFiles(manifest, dir);
                    }
                    catch (ModelLoadException ex)
                    {
                        problem = ex.Message.Split('\n')[0];
                    }
                }
                listing.Add(new BackboneListing(manifest.Name, manifest.Kind, dir, present, manifest.Description) { Verified = present && problem is null, Problem = problem });
            }
            if (parse.GetValue(json))
                CommandRunner.WriteJson<IReadOnlyList<BackboneListing>>(listing, CliJsonContext.Default.IReadOnlyListBackboneListing);
            else
            {
                int nameWidth = listing.Count == 0 ? 0 : listing.Max(b => b.Name.Length); // a column as wide as the longest name
                foreach (BackboneListing b in listing)
                    Console.WriteLine($"{b.Name.PadRight(nameWidth)} {b.Kind,-20} {(b.Verified ? "ready" : b.FilesPresent ? "corrupt (checksum mismatch: re-fetch)" : "files missing (run its fetch script)"),-36} {b.Description}");
            }
            foreach (BackboneListing b in listing)
                if (b.Problem is { } why)
                    Console.Error.WriteLine($"edgecl: warning: {why}");
            return Task.FromResult(ExitCodes.Success);
        }, ct));
        return command;
    }

    internal static InspectResult Inspect(string path)
    {
        byte[] bytes = BackboneCatalog.ReadModelBytes(path);
        // Inspection must work for any model: a no-op self-test, CPU only.
        using OnnxSession session = OnnxSessionFactory.Create(bytes, path, SessionOptionsSpec.Default, _ => { });
        InferenceSession s = session.Session;
        static TensorInfo Describe(string name, NodeMetadata m) =>
            new(name, m.IsTensor ? m.ElementDataType.ToString().ToLowerInvariant() : m.OnnxValueType.ToString(),
                m.IsTensor ? m.Dimensions.Select((d, i) => d > 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : (m.SymbolicDimensions.Length > i && m.SymbolicDimensions[i].Length > 0 ? m.SymbolicDimensions[i] : "?")).ToArray() : []);
        var inputs = s.InputMetadata.Select(kv => Describe(kv.Key, kv.Value)).ToList();
        var outputs = s.OutputMetadata.Select(kv => Describe(kv.Key, kv.Value)).ToList();
        var metadata = new SortedDictionary<string, string>(s.ModelMetadata.CustomMetadataMap, StringComparer.Ordinal);
        metadata.TryGetValue(OnnxEmbeddingModel.EmbeddingOutputMetadataKey, out string? embeddingOutput);
        int? dimension = null;
        string? chosen = embeddingOutput ?? s.OutputMetadata.Where(kv => IsEmbedding(kv.Value)).Select(kv => kv.Key).FirstOrDefault();
        if (chosen is not null && s.OutputMetadata.TryGetValue(chosen, out NodeMetadata? om))
            dimension = OnnxEmbeddingModel.EmbeddingDimensionOf(om);
        var (opset, operators, bn) = GraphSummary.Summarize(bytes);
        return new InspectResult(Path.GetFullPath(path), bytes.Length, SpaceIdentity.Sha256Hex(bytes), s.ModelMetadata.ProducerName, s.ModelMetadata.GraphName,
            opset, inputs, outputs, metadata, operators, bn, chosen, dimension);
    }

    private static bool IsEmbedding(NodeMetadata m) => OnnxEmbeddingModel.EmbeddingDimensionOf(m) is not null;

    private static void Print(InspectResult r)
    {
        Console.WriteLine($"{r.Path}");
        Console.WriteLine($"  size      {r.Bytes:N0} bytes, sha256 {r.Sha256}");
        Console.WriteLine($"  producer  {r.Producer}  graph {r.GraphName}  opset {r.OpsetVersion?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}");
        foreach (TensorInfo t in r.Inputs) Console.WriteLine($"  input     {t.Name}: {t.ElementType}[{string.Join(",", t.Shape)}]");
        foreach (TensorInfo t in r.Outputs) Console.WriteLine($"  output    {t.Name}: {t.ElementType}[{string.Join(",", t.Shape)}]");
        Console.WriteLine(r.EmbeddingDimension is { } d ? $"  embedding {r.EmbeddingOutput} ({d}-d)" : "  embedding none found (no float [N, D] output)");
        if (r.Operators is not null)
            Console.WriteLine($"  operators {string.Join(", ", r.Operators.Select(kv => $"{kv.Key}×{kv.Value}"))}");
        if (r.BatchNormalizationNodes is { } bn) Console.WriteLine($"  batchnorm {bn} node(s)");
        foreach (var (k, v) in r.Metadata) Console.WriteLine($"  metadata  {k} = {v}");
    }
}
