using System.CommandLine;
using System.Globalization;
using System.Text;
using EdgeCL.Cli.Data;
using EdgeCL.Eval.Fleet;
using EdgeCL.Onnx.Backbones;

namespace EdgeCL.Cli.Commands;

/// <summary><c>edgecl fleet measure-cap</c>: what a per-device weight cap costs without an attacker and buys with one.</summary>
internal static class FleetCapMeasureCommand
{
    public static Command Create()
    {
        var backbone = CommonOptions.Backbone();
        var data = new Option<string>("--data", "-d") { Description = "Support items the honest devices learn from: folder-per-class (root/<class>/file).", Required = true };
        var test = new Option<string>("--test") { Description = "Held-out items to score on, same layout.", Required = true };
        var shots = new Option<string>("--shots") { Description = "Examples per class of each honest device, one number per device.", DefaultValueFactory = _ => "1,2,3,5,8" };
        var caps = new Option<string>("--caps") { Description = "Per-device weight caps to compare (0 = count weighting).", DefaultValueFactory = _ => "0,1,2,4,8,16" };
        var maxNorms = new Option<string>("--max-norms")
        {
            Description = "Mean norm bounds to compare (0 = none): numbers, or pNN for the NN-th percentile of the support embeddings' norms, e.g. 0,p95.",
            DefaultValueFactory = _ => "0,p95",
        };
        var attackers = new Option<int>("--attackers") { Description = "Compromised devices.", DefaultValueFactory = _ => 1 };
        var claimed = new Option<long>("--claimed") { Description = "The count each compromised entry claims.", DefaultValueFactory = _ => 1_000_000 };
        var scales = new Option<string>("--scales") { Description = "Attack vectors: these multiples of another class's support mean.", DefaultValueFactory = _ => "1,10" };
        var draws = new Option<int>("--draws") { Description = "Random draws of which items each device learns; figures are their mean.", DefaultValueFactory = _ => 10 };
        var models = CommonOptions.Models();
        var providers = CommonOptions.Providers();
        var threads = CommonOptions.Threads();
        var command = new Command("measure-cap",
            "Honest devices learn --data, compromised devices publish other classes' means claiming a huge count; print the fleet prototypes' test accuracy per merge policy.")
            { backbone, data, test, shots, caps, maxNorms, attackers, claimed, scales, draws, models, providers, threads };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(token =>
        {
            string normText = parse.GetValue(maxNorms)!;
            var options = new CompromisedFleetOptions
            {
                MaxNorms = Numbers(normText.Replace("p", "", StringComparison.Ordinal), "--max-norms", float.Parse), // checked here, resolved after embedding
                Shots = Numbers(parse.GetValue(shots)!, "--shots", int.Parse),
                Caps = Numbers(parse.GetValue(caps)!, "--caps", long.Parse),
                Attackers = parse.GetValue(attackers),
                ClaimedCount = parse.GetValue(claimed),
                Scales = Numbers(parse.GetValue(scales)!, "--scales", double.Parse),
                Draws = parse.GetValue(draws),
            };
            options.Validate();
            using IEmbeddingBackbone model = BackboneCatalog.Open(parse.GetValue(backbone)!, CommonOptions.Sessions(parse, providers, threads), CommonOptions.ProviderLog, parse.GetValue(models));
            LabelledRows Embed(string path)
            {
                IReadOnlyList<LabelledFile> files = LabelledFolder.Scan(path, model.FileExtensions, requireClasses: true);
                return new LabelledRows([.. files.Select(f => f.Label ?? "")], Embedder.EmbedAll(model, files, token, phase: $"{model.Name} {Path.GetFileName(path)}"), model.Space.Dimension);
            }
            LabelledRows support = Embed(parse.GetValue(data)!), testSet = Embed(parse.GetValue(test)!);
            options = options with
            {
                MaxNorms = [.. normText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(t => t.StartsWith('p') ? support.NormPercentile(double.Parse(t[1..], CultureInfo.InvariantCulture)) : float.Parse(t, CultureInfo.InvariantCulture))],
            };
            IReadOnlyList<CompromisedFleetRow> rows = CompromisedFleetExperiment.Run(model.Space, support, testSet, options);
            Console.WriteLine(
                $"{model.Name} ({model.Space.Dimension}-d); {options.Shots.Count} honest devices taught {string.Join('/', options.Shots)} examples per class; " +
                $"{options.Attackers} compromised claiming n = {options.ClaimedCount:N0} per class; {support.Labels.Count} support, {testSet.Labels.Count} test items; " +
                $"accuracy %, mean of {options.Draws} draws");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"support embedding norms: median {support.NormPercentile(50):G4}, p95 {support.NormPercentile(95):G4}, max {support.NormPercentile(100):G4}"));
            Console.WriteLine();
            var table = new StringBuilder();
            table.Append("| merge | honest only |");
            foreach (double s in options.Scales)
                table.Append(CultureInfo.InvariantCulture, $" + attacker, {s:G4} x another class's mean |");
            table.AppendLine().Append("|---|---|").AppendLine(string.Concat(options.Scales.Select(_ => "---|")));
            foreach (CompromisedFleetRow row in rows)
                table.AppendLine(CultureInfo.InvariantCulture, $"| {row.Policy} | {100 * row.Honest:F1} | {string.Join(" | ", row.Attacked.Select(a => (100 * a).ToString("F1", CultureInfo.InvariantCulture)))} |");
            Console.Write(table);
            return Task.FromResult(ExitCodes.Success);
        }, ct));
        return command;
    }

    private static T[] Numbers<T>(string text, string option, Func<string, IFormatProvider, T> parse)
    {
        try
        {
            return [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => parse(p, CultureInfo.InvariantCulture))];
        }
        catch (FormatException)
        {
            throw new ArgumentException($"{option} '{text}' is not a comma-separated list of numbers, e.g. {option} 1,2,4.");
        }
        catch (OverflowException)
        {
            throw new ArgumentException($"{option} '{text}' has a number out of range.");
        }
    }
}
