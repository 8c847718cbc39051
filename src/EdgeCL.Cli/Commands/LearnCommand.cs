using System.CommandLine;
using EdgeCL.Cli.Data;
using EdgeCL.Cli.Output;
using EdgeCL.Cli.State;
using EdgeCL.Core.Memory;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Errors;

namespace EdgeCL.Cli.Commands;

/// <summary><c>edgecl learn</c>: add labelled examples to a prototype state.</summary>
internal static class LearnCommand
{
    public static Command Create()
    {
        var backbone = CommonOptions.Backbone();
        var state = CommonOptions.State();
        var data = new Option<string?>("--data", "-d") { Description = "Folder with one sub-folder per class; every file is a labelled example." };
        var file = new Option<string[]>("--file", "-f") { Description = "Single example file(s); needs --label.", AllowMultipleArgumentsPerToken = true };
        var label = new Option<string?>("--label", "-l") { Description = "Class of the --file examples." };
        var shots = new Option<int>("--shots") { Description = "Use at most this many examples per class, drawn with --seed (0 = all).", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Seed for --shots sampling.", DefaultValueFactory = _ => 1 };
        var metric = new Option<string>("--metric") { Description = "For a new state: cosine or l2.", DefaultValueFactory = _ => "cosine" };
        var centring = new Option<string>("--centring") { Description = "For a new state: labelled (CL2N, default) or none.", DefaultValueFactory = _ => "labelled" };
        var models = CommonOptions.Models();
        var providers = CommonOptions.Providers();
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json();
        var command = new Command("learn", "Teach classes from labelled examples; the state is replaced atomically only when every example was accepted.")
            { backbone, state, data, file, label, shots, seed, metric, centring, models, providers, threads, json };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(token =>
        {
            string? dataPath = parse.GetValue(data);
            string[] filePaths = parse.GetValue(file) ?? [];
            string? fileLabel = parse.GetValue(label);
            if ((dataPath is null) == (filePaths.Length == 0))
                throw new ArgumentException("Give either --data <folder-per-class> or --file <path> --label <class>.");
            if (filePaths.Length > 0 && string.IsNullOrWhiteSpace(fileLabel))
                throw new ArgumentException("--file needs --label <class>; an example without a class cannot be learned.");
            var options = new PrototypeMemoryOptions
            {
                Metric = parse.GetValue(metric) switch
                {
                    "cosine" => SimilarityMetric.Cosine,
                    "l2" => SimilarityMetric.SquaredEuclidean,
                    var m => throw new ArgumentException($"--metric '{m}' is unknown; use cosine or l2."),
                },
                Centring = parse.GetValue(centring) switch
                {
                    "labelled" => CentringMode.LabelledMean,
                    "none" => CentringMode.None,
                    var c => throw new ArgumentException($"--centring '{c}' is unknown; use labelled or none."),
                },
            };
            using IEmbeddingBackbone b = BackboneCatalog.Open(parse.GetValue(backbone)!, CommonOptions.Sessions(parse, providers, threads), CommonOptions.ProviderLog, parse.GetValue(models));
            string statePath = parse.GetValue(state)!;
            PrototypeMemory memory = StateFile.Load(statePath, b.Space) ?? new PrototypeMemory(b.Space, options);
            StateFile.EnsureWritable(statePath);

            IReadOnlyList<LabelledFile> files = dataPath is not null
                ? Sample(LabelledFolder.Scan(dataPath, b.FileExtensions, requireClasses: true), parse.GetValue(shots), parse.GetValue(seed))
                : filePaths.Select(p => File.Exists(p) ? new LabelledFile(p, fileLabel) : throw new InputFormatException($"Example file '{p}' does not exist.")).ToList();
            // Embed everything first: a bad file fails the command before the state changes.
            float[] embeddings = Embedder.EmbedAll(b, files, token);
            int d = b.Space.Dimension;
            PrototypeMemory working = Clone(memory);
            for (int i = 0; i < files.Count; i++)
                working.Add(files[i].Label!, embeddings.AsSpan(i * d, d));
            StateFile.Save(statePath, working);

            var result = new LearnResult(Path.GetFullPath(statePath), b.Space.Id, d, files.Count, Classes(working));
            if (parse.GetValue(json))
                CommandRunner.WriteJson(result, CliJsonContext.Default.LearnResult);
            else
            {
                Console.WriteLine($"learned {files.Count} example(s); state {result.State} now has {working.ClassCount} class(es):");
                foreach (ClassInfo c in result.Classes) Console.WriteLine($"  {c.Label,-24} {c.Count,6} example(s)");
            }
            return Task.FromResult(ExitCodes.Success);
        }, ct));
        return command;
    }

    internal static IReadOnlyList<ClassInfo> Classes(PrototypeMemory memory) =>
        Enumerable.Range(0, memory.ClassCount).Select(memory.SummaryAt).OrderBy(s => s.Label, StringComparer.Ordinal)
            .Select(s => new ClassInfo(s.Label, s.Count, s.Version)).ToList();

    internal static PrototypeMemory Clone(PrototypeMemory memory) =>
        EdgeCL.Core.Serialization.PrototypeMemorySerializer.Deserialize(EdgeCL.Core.Serialization.PrototypeMemorySerializer.Serialize(memory), memory.Space);

    /// <summary>Draws up to <paramref name="shots"/> files per class with a seeded shuffle (0 keeps all).</summary>
    internal static IReadOnlyList<LabelledFile> Sample(IReadOnlyList<LabelledFile> files, int shots, int seed)
    {
        if (shots < 0)
            throw new ArgumentException($"--shots must be >= 0, got {shots}.");
        if (shots == 0)
            return files;
        var rng = new Random(seed);
        var result = new List<LabelledFile>();
        foreach (var group in files.GroupBy(f => f.Label, StringComparer.Ordinal))
        {
            LabelledFile[] members = group.ToArray();
            if (members.Length < shots)
                throw new InputFormatException($"Class '{group.Key}' has {members.Length} example(s), fewer than --shots {shots}; lower --shots or add examples.");
            rng.Shuffle(members);
            result.AddRange(members.Take(shots));
        }
        return result;
    }
}
