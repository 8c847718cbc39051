using System.CommandLine;
using System.Globalization;
using System.Text;
using EdgeCL.Cli.Data;
using EdgeCL.Core.Rollout;
using EdgeCL.Device.Rollout;
using EdgeCL.Eval.Rollout;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Storage.Files;

namespace EdgeCL.Cli.Commands;

/// <summary><c>edgecl rollout</c>: moving learned prototypes to a new backbone's embedding space.</summary>
internal static class RolloutCommand
{
    public static Command Create() => new("rollout", "Backbone rollouts: carry what was learned into a new backbone's embedding space.") { Measure(), Calibrate() };

    /// <summary><c>edgecl rollout calibrate</c>: unlabelled inputs embedded by both backbones, installed beside the new one for devices to fit their map on.</summary>
    private static Command Calibrate()
    {
        var from = new Option<string>("--from") { Description = "The old backbone (the one devices run now).", Required = true };
        var to = new Option<string>("--to") { Description = "The new backbone.", Required = true };
        var data = new Option<string>("--data", "-d") { Description = "Unlabelled inputs of the kind devices hear or see (any layout; a few hundred are plenty).", Required = true };
        var output = new Option<string?>("--out", "-o") { Description = "Where to write the pairs (default: the new backbone's calibration/<old space id>.eccal, where devices look)." };
        var models = CommonOptions.Models();
        var providers = CommonOptions.Providers();
        var threads = CommonOptions.Threads();
        var command = new Command("calibrate",
            "Embed --data with both backbones and write the pairs that devices moving from --from to --to fit their map on, besides their own exemplars " +
            "(a device with too few exemplars can then still move). Ship the file with the new backbone: <backbone folder>/calibration/<old space id>.eccal.")
            { from, to, data, output, models, providers, threads };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(token =>
        {
            var sessions = CommonOptions.Sessions(parse, providers, threads);
            using IEmbeddingBackbone oldBackbone = BackboneCatalog.Open(parse.GetValue(from)!, sessions, CommonOptions.ProviderLog, parse.GetValue(models));
            using IEmbeddingBackbone newBackbone = BackboneCatalog.Open(parse.GetValue(to)!, sessions, CommonOptions.ProviderLog, parse.GetValue(models));
            if (oldBackbone.Space.Id == newBackbone.Space.Id)
                throw new ArgumentException($"--from and --to produce the same space {oldBackbone.Space}; calibration needs two different backbones.");
            string path = parse.GetValue(output) ?? CalibrationFile.PathFor(
                Path.GetDirectoryName(BackboneCatalog.ResolveManifestPath(parse.GetValue(to)!, parse.GetValue(models)))!, oldBackbone.Space);
            IReadOnlyList<LabelledFile> files = LabelledFolder.Scan(parse.GetValue(data)!, oldBackbone.FileExtensions, requireClasses: false);
            float[] oldRows = Embedder.EmbedAll(oldBackbone, files, token, phase: oldBackbone.Name);
            float[] newRows = Embedder.EmbedAll(newBackbone, files, token, phase: newBackbone.Name);
            CalibrationPairs pairs = CalibrationPairs.Create(oldBackbone.Space, newBackbone.Space, oldRows, newRows);
            // The fit a device with no exemplars would make: says whether these inputs can carry the move at all.
            SpaceMap map = SpaceMap.Fit(pairs.Source, pairs.Target, pairs.SourceRows, pairs.TargetRows);
            AtomicFile.WriteAllBytes(path, pairs.Encode());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {path}: {pairs.Count} pairs {oldBackbone.Name} {pairs.Source} → {newBackbone.Name} {pairs.Target}; a map on them alone explains R² {map.Explained:F3} of the new space"));
            return Task.FromResult(ExitCodes.Success);
        }, ct));
        return command;
    }

    /// <summary><c>edgecl rollout measure</c>: accuracy after a rollout against re-teaching from scratch, per exemplar budget.</summary>
    private static Command Measure()
    {
        var from = new Option<string>("--from") { Description = "The old backbone (what the device learned with).", Required = true };
        var to = new Option<string>("--to") { Description = "The new backbone.", Required = true };
        var data = new Option<string>("--data", "-d") { Description = "What the device learned: folder-per-class (root/<class>/file).", Required = true };
        var test = new Option<string>("--test") { Description = "Held-out items to score on, same layout.", Required = true };
        var calibration = new Option<string?>("--calibration") { Description = "Unlabelled inputs (any layout) embedded by both backbones to fit the map on, besides the exemplars." };
        var budgets = new Option<string>("--budgets") { Description = "Exemplar budgets, exemplars per class (each becomes a byte budget of that many average exemplars per class); 'all' keeps every item.", DefaultValueFactory = _ => "0,1,2,4,8,all" };
        var seeds = new Option<int>("--seeds") { Description = "Stream orders per budget (which exemplars survive); figures are their mean.", DefaultValueFactory = _ => 5 };
        var ridge = new Option<double>("--ridge") { Description = "Ridge strength α of the ridge maps (λ = α × mean eigenvalue of the source Gram matrix).", DefaultValueFactory = _ => 0.1 };
        var models = CommonOptions.Models();
        var providers = CommonOptions.Providers();
        var threads = CommonOptions.Threads();
        var command = new Command("measure",
            "Learn --data with the old backbone keeping exemplars within each budget, migrate to the new backbone (exemplars re-embedded, the rest mapped), " +
            "and print test accuracy against re-teaching everything in the new space.")
            { from, to, data, test, calibration, budgets, seeds, ridge, models, providers, threads };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(token =>
        {
            var options = new RolloutExperimentOptions
            {
                Budgets = ParseBudgets(parse.GetValue(budgets)!),
                Seeds = parse.GetValue(seeds),
                RidgeStrength = parse.GetValue(ridge),
            };
            options.Validate();
            var sessions = CommonOptions.Sessions(parse, providers, threads);
            using IEmbeddingBackbone oldBackbone = BackboneCatalog.Open(parse.GetValue(from)!, sessions, CommonOptions.ProviderLog, parse.GetValue(models));
            using IEmbeddingBackbone newBackbone = BackboneCatalog.Open(parse.GetValue(to)!, sessions, CommonOptions.ProviderLog, parse.GetValue(models));
            if (oldBackbone.Space.Id == newBackbone.Space.Id)
                throw new ArgumentException($"--from and --to produce the same space {oldBackbone.Space}; a rollout needs two different backbones.");
            RolloutSplit Embed(string path, bool requireClasses, bool withInputs)
            {
                IReadOnlyList<LabelledFile> files = LabelledFolder.Scan(path, oldBackbone.FileExtensions, requireClasses);
                return new RolloutSplit(files.Select(f => f.Label ?? "").ToArray(),
                    Embedder.EmbedAll(oldBackbone, files, token, phase: $"{oldBackbone.Name} {Path.GetFileName(path)}"),
                    Embedder.EmbedAll(newBackbone, files, token, phase: $"{newBackbone.Name} {Path.GetFileName(path)}"),
                    withInputs ? files.Select(f => File.ReadAllBytes(f.Path)).ToArray() : null);
            }
            RolloutSplit support = Embed(parse.GetValue(data)!, requireClasses: true, withInputs: true);
            RolloutSplit testSet = Embed(parse.GetValue(test)!, requireClasses: true, withInputs: false);
            RolloutSplit? calibrationSet = parse.GetValue(calibration) is { } calibrationPath ? Embed(calibrationPath, requireClasses: false, withInputs: false) : null;
            IReadOnlyList<RolloutRow> rows = RolloutExperiment.Run(oldBackbone.Space, newBackbone.Space, support, testSet, calibrationSet, options);
            Console.WriteLine(
                $"{oldBackbone.Name} ({oldBackbone.Space.Dimension}-d) → {newBackbone.Name} ({newBackbone.Space.Dimension}-d); " +
                $"{support.Labels.Count} support, {testSet.Labels.Count} test, {calibrationSet?.Labels.Count ?? 0} calibration items; " +
                $"accuracy %, mean of {options.Seeds} stream orders");
            Console.WriteLine();
            Console.Write(Table(rows));
            return Task.FromResult(ExitCodes.Success);
        }, ct));
        return command;
    }

    private static IReadOnlyList<int> ParseBudgets(string text)
    {
        var budgets = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (part.Equals("all", StringComparison.OrdinalIgnoreCase))
                budgets.Add(RolloutExperimentOptions.All);
            else if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int count))
                budgets.Add(count);
            else
                throw new ArgumentException($"--budgets item '{part}' is not a count of exemplars per class or 'all'; e.g. --budgets 0,2,8,all.");
        }
        return budgets;
    }

    private static string Table(IReadOnlyList<RolloutRow> rows)
    {
        var table = new StringBuilder();
        table.AppendLine("| exemplars/class | budget MiB | kept/class | old space | re-teach all (new) | re-teach kept | blend, Procrustes | blend, Procrustes + calib | blend, ridge | blend, ridge + calib |");
        table.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (RolloutRow row in rows)
        {
            table.Append(CultureInfo.InvariantCulture,
                $"| {row.Budget} | {row.MegaBytes:F2} | {row.ExemplarsPerClass:F1} | {Percent(row.OldSpace)} | {Percent(row.Scratch)} | {Percent(row.ExemplarsOnly)} | ");
            table.AppendLine(CultureInfo.InvariantCulture,
                $"{Percent(row.Procrustes)} | {Percent(row.ProcrustesCalibrated)} | {Percent(row.Ridge)} | {Percent(row.RidgeCalibrated)} |");
        }
        return table.ToString();
    }

    private static string Percent(double fraction) =>
        double.IsNaN(fraction) ? "—" : (100 * fraction).ToString("F1", CultureInfo.InvariantCulture);
}
