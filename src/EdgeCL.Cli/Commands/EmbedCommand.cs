using System.CommandLine;
using System.Diagnostics;
using EdgeCL.Cli.Data;
using EdgeCL.Cli.Output;
using EdgeCL.Core.Serialization;
using EdgeCL.Onnx.Backbones;

namespace EdgeCL.Cli.Commands;

/// <summary><c>edgecl embed</c>: a dataset to <c>.npy</c> embeddings plus labels, for peer libraries.</summary>
internal static class EmbedCommand
{
    public static Command Create()
    {
        var backbone = CommonOptions.Backbone();
        var data = new Option<string>("--data", "-d") { Description = "Folder with one sub-folder per class (or a flat folder of files).", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Output .npy file (float32 [N, D]); labels go to <out>.labels.txt, paths to <out>.files.txt.", Required = true };
        var labelsPath = new Option<string?>("--labels") { Description = "Labels file (default <out>.labels.txt)." };
        var models = CommonOptions.Models();
        var providers = CommonOptions.Providers();
        var threads = CommonOptions.Threads();
        var batch = CommonOptions.Batch();
        var json = CommonOptions.Json();
        var command = new Command("embed", "Embed a dataset with a backbone and write .npy embeddings and labels.")
            { backbone, data, output, labelsPath, models, providers, threads, batch, json };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(token =>
        {
            string outPath = parse.GetValue(output)!;
            if (!outPath.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--out '{outPath}' must end in .npy.");
            var sessions = CommonOptions.Sessions(parse, providers, threads);
            int capacity = CommonOptions.BatchCapacity(parse.GetValue(batch), sessions);
            using IEmbeddingBackbone b = BackboneCatalog.Open(parse.GetValue(backbone)!, sessions, CommonOptions.ProviderLog, parse.GetValue(models), capacity);
            int runBatch = b is ImageBackbone ? CommonOptions.BatchFor(parse.GetValue(batch), b.ActiveProvider, capacity) : 1;
            IReadOnlyList<LabelledFile> files = LabelledFolder.Scan(parse.GetValue(data)!, b.FileExtensions, requireClasses: false);
            var clock = Stopwatch.StartNew();
            float[] embeddings = Embedder.EmbedAll(b, files, token, batch: runBatch);
            double seconds = clock.Elapsed.TotalSeconds;
            string labelFile = parse.GetValue(labelsPath) ?? outPath + ".labels.txt";
            string fileList = outPath + ".files.txt";
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
            using (FileStream stream = File.Create(outPath))
                Npy.Write(stream, embeddings, [files.Count, b.Space.Dimension]);
            File.WriteAllLines(labelFile, files.Select(f => f.Label ?? ""));
            File.WriteAllLines(fileList, files.Select(f => f.Path));
            var result = new EmbedResult(b.Name, b.Space.Id, b.ActiveProvider.ToString(), files.Count, b.Space.Dimension, Path.GetFullPath(outPath),
                Path.GetFullPath(labelFile), Path.GetFullPath(fileList), seconds, files.Count / Math.Max(seconds, 1e-9), runBatch);
            if (parse.GetValue(json))
                CommandRunner.WriteJson(result, CliJsonContext.Default.EmbedResult);
            else
                Console.WriteLine($"embedded {result.Samples} files → {result.Embeddings} [{result.Samples}, {result.Dimension}] in {seconds:F2} s ({result.SamplesPerSecond:F1}/s, {result.Provider}, batch {runBatch}, space {result.SpaceId})");
            return Task.FromResult(ExitCodes.Success);
        }, ct));
        return command;
    }
}
