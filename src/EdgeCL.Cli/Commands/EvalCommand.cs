using System.CommandLine;
using System.Globalization;
using System.Reflection;
using EdgeCL.Core.Evaluation;
using EdgeCL.Core.Learning;
using EdgeCL.Eval;
using EdgeCL.Eval.Embedding;
using EdgeCL.Eval.Reporting;
using EdgeCL.Eval.Shifts;

namespace EdgeCL.Cli.Commands;

/// <summary>
/// <c>edgecl eval</c>: replays a stream (a protocol over a dataset, or a manifest) through the device pipeline for
/// several methods side by side, and writes report.json, report.md and plots.
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data", "-d") { Description = "Labelled data: folder-per-class (root/<class>/file or root/<domain>/<class>/file; WAV or images) or an .npy with .npy.labels.txt." };
        var test = new Option<string?>("--test") { Description = "Separate target data (e.g. unseen speakers), same layout; default: what the shots leave of --data." };
        var manifest = new Option<string?>("--manifest") { Description = "JSON Lines stream manifest (path, label, domain, labelled, heldout, shift, task) that fixes the order." };
        var protocol = new Option<string?>("--protocol") { Description = "class-incremental, continual (conditions in one unbroken stream, one learner, no reset; alias domain), episodic (the same stream, reset at each condition: the reset oracle) or mixed. Default: continual when there are shifts or domains." };
        var correlation = new Option<double>("--correlation") { Description = "Label-correlated order of the unlabelled stream: Dirichlet concentration γ of RoTTA's sampler (0.1 = long runs of one class, 100 = nearly shuffled; 0 = shuffled).", DefaultValueFactory = _ => 0 };
        var methods = new Option<string?>("--methods", "-m") { Description = "Comma-separated methods, [adapter+]learner (default: every registered learner; --list shows them)." };
        var shifts = new Option<string?>("--shifts") { Description = "Comma-separated domains: clean, white:SNR, pink:SNR, brown:SNR, babble:SNR, reverb[:RT60], telephone, speed:F, gain:DB; gaussian_noise[:S] ... jpeg_compression[:S], corruptions[:S]." };
        var severity = new Option<int>("--severity") { Description = "Severity (1-5) of image corruptions named without one.", DefaultValueFactory = _ => 3 };
        var sourceDomain = new Option<string?>("--source-domain") { Description = "Source domain of a dataset with domain folders (default: clean/source if present, else the first)." };
        var shots = new Option<int>("--shots", "-k") { Description = "Labelled examples per class.", DefaultValueFactory = _ => 5 };
        var tasks = new Option<int>("--tasks") { Description = "Class-incremental/mixed: tasks the classes are split into (0 = two classes per task).", DefaultValueFactory = _ => 0 };
        var rounds = new Option<int>("--rounds") { Description = "Domain protocol: times the domain sequence repeats.", DefaultValueFactory = _ => 1 };
        var holdout = new Option<double>("--holdout") { Description = "Fraction of each class's target items held out for evaluation (0 = evaluate on the streamed samples).", DefaultValueFactory = _ => 0.2 };
        var draws = new Option<int>("--draws") { Description = "Repeat with derived seeds (support draws, orders) and average.", DefaultValueFactory = _ => 1 };
        var seed = new Option<long>("--seed") { Description = "The seed of every random choice.", DefaultValueFactory = _ => 1 };
        var evalEvery = new Option<int>("--eval-every") { Description = "Evaluate held-out sets every N steps (0 = task ends only; default about 200 points).", DefaultValueFactory = _ => -1 };
        var window = new Option<int>("--window") { Description = "Window (evaluations) of windowed forgetting.", DefaultValueFactory = _ => 10 };
        var parameters = new Option<string[]>("--param") { Description = "Method parameter name.key=value (repeatable), e.g. knn.k=3.", AllowMultipleArgumentsPerToken = false };
        var classes = new Option<string?>("--classes") { Description = "Only these classes, comma-separated (e.g. the held-out digits 5,6,7,8,9)." };
        var maxPerClass = new Option<int>("--max-per-class") { Description = "Use at most N items per class and domain (0 = all), for quick runs.", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out", "-o") { Description = "Output folder for report.json, report.md and plots.", DefaultValueFactory = _ => "eval-report" };
        var export = new Option<string?>("--export") { Description = "Also write the exact embeddings (.npy), labels and predictions here, for peer libraries." };
        var noPlots = new Option<bool>("--no-plots") { Description = "Skip the PNG/SVG figures." };
        var list = new Option<bool>("--list") { Description = "List methods, parameters and shifts, then exit." };
        var unknown = new Option<string?>("--unknown") { Description = "Open-set evaluation: untaught material (DIR/<group>/file; files longer than two clips are continuous audio) mixed into the stream; reports false accepts per clip and per hour, false rejects, AUROC." };
        var background = new Option<string?>("--background") { Description = "With --unknown: files taught as the background class ('_background') before the stream." };
        var threshold = new Option<float>("--threshold") { Description = "With --unknown: the open-set threshold (cosine to the winning class, -1..1).", DefaultValueFactory = _ => EdgeCL.Core.Learning.OpenSet.OpenSetOptions.DefaultThreshold };
        var operatingPoints = new Option<string>("--operating-points") { Description = "With --unknown: other thresholds to report, comma-separated.", DefaultValueFactory = _ => "0.3,0.5" };
        var talk = new Option<string>("--talk") { Description = "With --unknown: how continuous audio is heard: 'device' (the agent's VAD and isolated-word rule, one sample per utterance; default) or 'windows' (clip-length windows every half clip, no VAD: the classifier alone).", DefaultValueFactory = _ => "device" };
        var config = new Option<string?>("--config") { Description = "With --unknown and --talk device: take the VAD settings (of its pcm source) and the isolated-word rule (recognition) from this device config, so talk is heard as that device hears it; only those parts are checked, so a Pi's config works on a laptop." };
        var corrections = new Option<int>("--corrections") { Description = "With --unknown: false accepts corrected (taught as _background:<label>) in a second pass.", DefaultValueFactory = _ => 10 };
        var backbone = CommonOptions.Backbone(required: false);
        var models = CommonOptions.Models();
        var providers = CommonOptions.Providers();
        var threads = CommonOptions.Threads();
        var batch = CommonOptions.Batch();
        var json = CommonOptions.Json();
        var command = new Command("eval", "Evaluate learners on a continual stream (shots, shifts, domains): accuracy matrix, forgetting, min-ACC, online error per domain, latency; JSON, Markdown and plots.")
        {
            data, test, manifest, backbone, protocol, correlation, methods, shifts, severity, sourceDomain, shots, tasks, rounds, holdout, draws, seed, evalEvery, window,
            parameters, classes, maxPerClass, output, export, noPlots, list, unknown, background, threshold, operatingPoints, corrections, talk, config, models, providers, threads, batch, json,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(token =>
        {
            LearnerRegistry learners = LearnerRegistry.CreateDefault();
            EmbeddingAdapterRegistry adapters = EmbeddingAdapterRegistry.CreateDefault();
            if (parse.GetValue(list))
            {
                PrintList(learners, adapters);
                return Task.FromResult(ExitCodes.Success);
            }
            // An option that the chosen evaluation does not read is refused: a run must not silently measure something else.
            string? unknownDir = parse.GetValue(unknown);
            bool openSet = unknownDir is not null;
            Option[] notRead = openSet ? [manifest, protocol, severity, sourceDomain, tasks, rounds, holdout, draws, evalEvery, window, classes, maxPerClass]
                : [background, threshold, operatingPoints, corrections, talk, config];
            if (notRead.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false }) is { } unread)
                throw new ArgumentException(openSet
                    ? $"{unread.Name} is a stream-protocol option that eval --unknown does not use (it runs one continual stream of the --shifts, one order); drop {unread.Name}."
                    : $"{unread.Name} applies only with --unknown DIR (open-set evaluation); add --unknown or drop {unread.Name}.");
            if (unknownDir is not null)
                return Task.FromResult(RunOpenSet(parse, learners, unknownDir, data, test, backbone, models, providers, threads, methods, shifts, shots,
                    correlation, seed, parameters, output, export, background, threshold, operatingPoints, corrections, talk, config, json, token));
            var settings = new EvalSettings
            {
                Data = parse.GetValue(data),
                Test = parse.GetValue(test),
                Manifest = parse.GetValue(manifest),
                Backbone = parse.GetValue(backbone),
                ModelsRoot = parse.GetValue(models),
                Sessions = CommonOptions.Sessions(parse, providers, threads),
                Batch = parse.GetValue(batch),
                ProviderLog = CommonOptions.ProviderLog,
                Protocol = ParseProtocol(parse.GetValue(protocol)),
                Methods = (parse.GetValue(methods) ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
                Shifts = parse.GetValue(shifts),
                Severity = parse.GetValue(severity),
                SourceDomain = parse.GetValue(sourceDomain),
                Shots = parse.GetValue(shots),
                Tasks = parse.GetValue(tasks),
                Rounds = parse.GetValue(rounds),
                Correlation = parse.GetValue(correlation),
                Holdout = parse.GetValue(holdout),
                Draws = parse.GetValue(draws),
                Seed = parse.GetValue(seed),
                EvaluateEvery = parse.GetValue(evalEvery),
                Window = parse.GetValue(window),
                Parameters = ParseParameters(parse.GetValue(parameters) ?? []),
                Classes = (parse.GetValue(classes) ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
                MaxPerClass = parse.GetValue(maxPerClass),
                OutputDirectory = parse.GetValue(output)!,
                ExportDirectory = parse.GetValue(export),
                Plots = !parse.GetValue(noPlots),
                ToolVersion = Version(),
                CommandLine = "edgecl " + string.Join(' ', parse.Tokens.Select(t => Quote(t.Value))),
            };
            bool quiet = parse.GetValue(json);

            // Everything that can be wrong with the input fails here, before any embedding.
            using EvalPlan plan = EvalRunner.Plan(settings, learners, adapters);
            if (!quiet)
            {
                EvaluationStream s = plan.Streams[0];
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"edgecl eval: {s.Protocol} protocol, {plan.Dataset.Classes.Count} classes, {s.Steps.Count} steps in {s.Tasks.Count} tasks, {s.Sets.Count} held-out sets, {plan.Streams.Count} draw(s), seed {settings.Seed}"));
                Console.WriteLine($"  methods: {string.Join(", ", plan.Methods.Select(m => m.Name))}; domains: {string.Join(", ", plan.Domains)}");
                if (plan.Backbone is not null)
                    Console.WriteLine($"  backbone {plan.Backbone.Name} ({plan.Backbone.Space.Dimension}-d) on {plan.Backbone.ActiveProvider}");
            }
            ProgressBar? bar = ProgressBar.ForTerminal();
            EvalReport report = EvalRunner.Run(plan, bar, token);
            bar?.Finish();
            var (files, plotWarning) = ReportWriter.Write(report, settings.OutputDirectory, settings.Plots);
            if (plotWarning is not null)
                Console.Error.WriteLine($"edgecl: warning: {plotWarning}");
            if (quiet)
                CommandRunner.WriteJson(report, EvalReportJson.Default);
            else
                PrintSummary(report, files, settings.ExportDirectory);
            if (!report.Completed)
            {
                Console.Error.WriteLine($"edgecl: cancelled; the report of what finished is in {Path.GetFullPath(settings.OutputDirectory)}.");
                return Task.FromResult(ExitCodes.Cancelled);
            }
            return Task.FromResult(ExitCodes.Success);
        }, ct));
        return command;
    }

    private static int RunOpenSet(ParseResult parse, LearnerRegistry learners, string unknownDir, Option<string?> data, Option<string?> test,
        Option<string> backbone, Option<string?> models, Option<string> providers, Option<int> threads, Option<string?> methods, Option<string?> shifts,
        Option<int> shots, Option<double> correlation, Option<long> seed, Option<string[]> parameters, Option<string> output, Option<string?> export, Option<string?> background, Option<float> threshold,
        Option<string> operatingPoints, Option<int> corrections, Option<string> talk, Option<string?> config, Option<bool> json, CancellationToken token)
    {
        EdgeCL.Device.Config.DeviceConfig? device = null;
        if (parse.GetValue(config) is { } configPath)
        {
            try
            {
                (device, string directory) = EdgeCL.Device.Config.DeviceConfigLoader.LoadListening(configPath);
                foreach (EdgeCL.Device.Config.SourceSettings source in device.Sources)
                    if (source.Vad.Model is { Length: > 0 } model)
                        source.Vad.Model = Path.GetFullPath(model, directory); // relative to the config, as the agent reads it
            }
            catch (EdgeCL.Device.Config.DeviceConfigException ex)
            {
                foreach (string line in ex.Errors)
                    Console.Error.WriteLine($"edgecl: error: {line}");
                return ExitCodes.Usage;
            }
        }
        var settings = new EdgeCL.Eval.OpenSet.OpenSetSettings
        {
            Data = parse.GetValue(data) ?? throw new ArgumentException("--unknown needs --data: the labelled examples of the taught classes."),
            Test = parse.GetValue(test),
            Unknown = unknownDir,
            Background = parse.GetValue(background),
            Backbone = parse.GetValue(backbone) ?? throw new ArgumentException("--unknown needs --backbone (e.g. -b speech)."),
            ModelsRoot = parse.GetValue(models),
            Sessions = CommonOptions.Sessions(parse, providers, threads),
            Methods = (parse.GetValue(methods) ?? "ncm-centred").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
            Parameters = ParseParameters(parse.GetValue(parameters) ?? []),
            Shifts = parse.GetValue(shifts),
            Shots = parse.GetValue(shots),
            Correlation = parse.GetValue(correlation),
            Seed = parse.GetValue(seed),
            Threshold = parse.GetValue(threshold),
            OperatingPoints = parse.GetValue(operatingPoints)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(t => EdgeCL.Core.Learning.OpenSet.OpenSetOptions.Parse(t).Threshold).ToList(),
            Corrections = parse.GetValue(corrections),
            Talk = parse.GetValue(talk) switch
            {
                "device" => EdgeCL.Eval.OpenSet.TalkFrontEnd.Device,
                "windows" => EdgeCL.Eval.OpenSet.TalkFrontEnd.Windows,
                var other => throw new ArgumentException($"--talk '{other}' is unknown; use device (the agent's VAD and isolated-word rule) or windows (sliding windows, no VAD)."),
            },
            OutputDirectory = parse.GetValue(output)!,
            ExportDirectory = parse.GetValue(export),
            Vad = device?.Sources.FirstOrDefault(s => s.Type == "pcm")?.Vad ?? new EdgeCL.Device.Config.VadSettings(),
            Recognition = device?.Recognition ?? new EdgeCL.Device.Config.RecognitionSettings(),
        };
        bool quiet = parse.GetValue(json);
        var progress = new Progress<string>(line => { if (!quiet) Console.Error.WriteLine("edgecl eval: " + line); });
        EdgeCL.Eval.OpenSet.OpenSetReport report = EdgeCL.Eval.OpenSet.OpenSetRunner.Run(settings, learners, progress, token);
        IReadOnlyList<string> files = EdgeCL.Eval.OpenSet.OpenSetReportWriter.Write(report, settings.OutputDirectory);
        if (quiet)
            CommandRunner.WriteJson(report, EdgeCL.Eval.OpenSet.OpenSetJsonContext.Default.OpenSetReport);
        else
            Console.WriteLine(EdgeCL.Eval.OpenSet.OpenSetReportWriter.Markdown(report) + $"\nwritten: {string.Join(", ", files)}");
        return ExitCodes.Success;
    }

    private static ProtocolKind? ParseProtocol(string? text) => text?.ToLowerInvariant() switch
    {
        null => null,
        "class-incremental" or "ci" => ProtocolKind.ClassIncremental,
        "continual" or "domain" or "domain-shift" or "tta" => ProtocolKind.DomainShift,
        "episodic" or "reset-oracle" => ProtocolKind.Episodic,
        "mixed" => ProtocolKind.Mixed,
        _ => throw new ArgumentException($"--protocol '{text}' is unknown; use class-incremental, continual (alias domain), episodic or mixed."),
    };

    private static Dictionary<string, string> ParseParameters(string[] values)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string v in values)
        {
            int eq = v.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == v.Length - 1)
                throw new ArgumentException($"--param '{v}' must be name.key=value, e.g. knn.k=3.");
            result[v[..eq].Trim()] = v[(eq + 1)..].Trim();
        }
        return result;
    }

    private static void PrintList(LearnerRegistry learners, EmbeddingAdapterRegistry adapters)
    {
        Console.WriteLine("methods ([adapter+]learner):");
        foreach (LearnerDescriptor d in learners.Learners)
        {
            Console.WriteLine($"  {d.Name,-14} {d.Description}{(d.Adapts ? " [adapts]" : "")}");
            foreach (var (key, description) in d.Parameters)
                Console.WriteLine($"    --param {key}=…  {description}");
        }
        Console.WriteLine(adapters.Adapters.Count == 0 ? "embedding adapters: none"
            : "embedding adapters: " + string.Join(", ", adapters.Adapters.Select(a => $"{a.Name} ({a.Description})")));
        Console.WriteLine("audio shifts: white:SNR pink:SNR brown:SNR babble:SNR reverb[:RT60] telephone speed:FACTOR gain:DB; compose with +, e.g. reverb+brown:5");
        Console.WriteLine($"image corruptions (severity 1-5): {string.Join(" ", ShiftCatalog.ImageCorruptions)}; corruptions[:S] = all");
    }

    private static void PrintSummary(EvalReport report, IReadOnlyList<string> files, string? export)
    {
        Console.WriteLine();
        Console.WriteLine($"{"method",-16} {"ACC",7} {"final",7} {"online",7}  online accuracy per domain");
        foreach (string name in report.MethodOrder)
        {
            MethodReport m = report.Methods[name];
            string domains = string.Join("  ", m.OnlineError.Select(kv => kv.Value is double e ? string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {100 * (1 - e):0.0}") : kv.Key));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-16} {Pct(m.Accuracy),7} {Pct(m.FinalAccuracy),7} {Pct(m.OnlineAccuracy),7}  {domains}"));
        }
        Console.WriteLine();
        Console.WriteLine($"wrote {string.Join(", ", files.Select(Path.GetFileName))} to {Path.GetFullPath(Path.GetDirectoryName(files[0])!)}");
        if (export is not null && report.Completed)
            Console.WriteLine($"exported embeddings, labels and predictions to {Path.GetFullPath(export)}");
    }

    private static string Pct(double? v) => v is double x ? string.Create(CultureInfo.InvariantCulture, $"{100 * x:0.0}") : "–";

    private static string Quote(string token) => token.Contains(' ', StringComparison.Ordinal) ? $"'{token}'" : token;

    private static string Version() =>
        typeof(EvalCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0";
}
