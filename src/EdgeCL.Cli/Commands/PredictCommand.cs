using System.CommandLine;
using EdgeCL.Cli.Data;
using EdgeCL.Cli.Output;
using EdgeCL.Cli.State;
using EdgeCL.Core.Errors;
using EdgeCL.Core.Learning.OpenSet;
using EdgeCL.Core.Memory;
using EdgeCL.Onnx.Backbones;

namespace EdgeCL.Cli.Commands;

/// <summary><c>edgecl predict</c>: classify files with a prototype state.</summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var backbone = CommonOptions.Backbone();
        var state = CommonOptions.State();
        var input = new Argument<string[]>("input") { Description = "Files, a flat folder, or a folder-per-class (then accuracy is reported).", Arity = ArgumentArity.OneOrMore };
        var top = new Option<int>("--top") { Description = "How many classes to list per file.", DefaultValueFactory = _ => 3 };
        var threshold = new Option<float>("--threshold") { Description = "Open set: a file whose cosine to the winning class is below this (or that the '_background' class wins) is 'unknown'; -1..1 (-1 = always a class).", DefaultValueFactory = _ => OpenSetOptions.DefaultThreshold };
        var models = CommonOptions.Models();
        var providers = CommonOptions.Providers();
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json();
        var command = new Command("predict", "Classify inputs against the learned prototypes.") { input, backbone, state, top, threshold, models, providers, threads, json };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(token =>
        {
            int k = parse.GetValue(top);
            if (k < 1)
                throw new ArgumentException($"--top must be >= 1, got {k}.");
            var openSet = new OpenSetOptions { Threshold = parse.GetValue(threshold) };
            openSet.Validate();
            using IEmbeddingBackbone b = BackboneCatalog.Open(parse.GetValue(backbone)!, CommonOptions.Sessions(parse, providers, threads), CommonOptions.ProviderLog, parse.GetValue(models));
            string statePath = parse.GetValue(state)!;
            PrototypeMemory memory = StateFile.Load(statePath, b.Space)
                ?? throw new StateFormatException($"State file '{statePath}' does not exist; teach some classes first with 'edgecl learn'.");
            if (memory.ClassCount == 0)
                throw new StateFormatException($"State file '{statePath}' has no classes; teach some first with 'edgecl learn'.");
            var files = new List<LabelledFile>();
            foreach (string path in parse.GetValue(input)!)
                files.AddRange(LabelledFolder.Scan(path, b.FileExtensions, requireClasses: false));
            float[] embeddings = Embedder.EmbedAll(b, files, token);
            int d = b.Space.Dimension;
            var topScores = new ClassScore[k];
            var predictions = new List<FilePrediction>(files.Count);
            int labelled = 0, correct = 0;
            for (int i = 0; i < files.Count; i++)
            {
                ReadOnlySpan<float> e = embeddings.AsSpan(i * d, d);
                Prediction p = memory.Predict(e);
                p = OpenSetGate.Apply(p, p.Score, openSet);
                int n = memory.PredictTopK(e, topScores);
                predictions.Add(new FilePrediction(files[i].Path, files[i].Label, p.Label, p.Score, p.Margin, p.Confidence, p.Entropy,
                    topScores[..n].Select(t => new ScoreInfo(t.Label, t.Score)).ToArray(), p.Accepted, p.Threshold));
                if (files[i].Label is { } expected && memory.Contains(expected))
                {
                    labelled++;
                    if (p.Accepted && expected == p.Label) correct++;
                }
            }
            double? accuracy = labelled > 0 ? (double)correct / labelled : null;
            var result = new PredictResult(b.Name, b.Space.Id, b.ActiveProvider.ToString(), files.Count, accuracy, predictions);
            if (parse.GetValue(json))
                CommandRunner.WriteJson(result, CliJsonContext.Default.PredictResult);
            else
            {
                foreach (FilePrediction p in predictions)
                {
                    string answer = p.Accepted ? p.Predicted
                        : ReservedLabels.IsBackground(p.Predicted) ? $"{ReservedLabels.Unknown} (background)"
                        : $"{ReservedLabels.Unknown} (nearest {p.Predicted}, score {p.Score:F3} < {p.Threshold:F2})";
                    bool ok = p.Accepted && p.Expected == p.Predicted;
                    Console.WriteLine($"{p.File}\t{answer}\tconfidence {p.Confidence:F3}\tmargin {p.Margin:F3}{(p.Expected is null ? "" : ok ? "\tok" : $"\texpected {p.Expected}")}");
                }
                if (accuracy is { } a)
                    Console.WriteLine($"accuracy {a:P1} ({correct}/{labelled} files of known classes)");
            }
            return Task.FromResult(ExitCodes.Success);
        }, ct));
        return command;
    }
}
