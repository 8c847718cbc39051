using System.Diagnostics;
using System.Globalization;
using EdgeCL.Core.Evaluation;
using EdgeCL.Core.Learning;
using EdgeCL.Core.Vectors;
using EdgeCL.Eval.Data;
using EdgeCL.Eval.Embedding;
using EdgeCL.Eval.Reporting;
using EdgeCL.Eval.Shifts;
using EdgeCL.Onnx.Backbones;
using EdgeCL.Onnx.Sessions;
using EdgeCL.Onnx.Errors;

namespace EdgeCL.Eval;

/// <summary>Plans (validates everything, before any work) and runs an offline evaluation.</summary>
public static class EvalRunner
{
    /// <summary>Validates the settings, lists the data, opens the backbone and builds every draw's stream.</summary>
    /// <remarks>Every bad input fails here with one line: unknown method, shift or parameter, severity out of range,
    /// empty or mixed dataset, missing manifest file, k larger than a class, wrong backbone for the data.</remarks>
    /// <exception cref="ArgumentException">Bad options (exit code 2).</exception>
    /// <exception cref="InputFormatException">Bad data (exit code 3).</exception>
    /// <exception cref="ModelLoadException">Missing or unusable backbone (exit code 4).</exception>
    public static EvalPlan Plan(EvalSettings settings, LearnerRegistry learners, EmbeddingAdapterRegistry adapters)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(learners);
        ArgumentNullException.ThrowIfNull(adapters);
        settings.Validate();

        // Methods and parameters first: the cheapest mistakes are reported before touching any file.
        List<MethodSpec> methods = settings.Methods.Count == 0
            ? learners.Names().Select(MethodSpec.Parse).ToList()
            : settings.Methods.Select(MethodSpec.Parse).ToList();
        // Parameters of a backbone-level adapter (e.g. bn-stats.momentum) go to the adapter; the rest to the learners.
        var adapterParameters = new Dictionary<string, string>(StringComparer.Ordinal);
        var learnerParameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in settings.Parameters)
        {
            EmbeddingAdapterDescriptor? owner = adapters.Adapters.FirstOrDefault(a => key.StartsWith(a.Name + ".", StringComparison.Ordinal));
            if (owner is null)
            {
                learnerParameters[key] = value;
                continue;
            }
            if (owner.Parameters is null || !owner.Parameters.ContainsKey(key))
                throw new ArgumentException($"Unknown parameter '{key}'; {owner.Name} reads: {(owner.Parameters is null ? "none" : string.Join(", ", owner.Parameters.Keys))}.");
            adapterParameters[key] = value;
        }
        BatchNormStatisticsSource.ReadMomentum(adapterParameters); // its value is checked before any work, like the learners'
        var learnerOptions = new LearnerOptions { Parameters = learnerParameters };
        learners.Validate(methods.Select(m => m.Learner), learnerOptions);
        foreach (MethodSpec m in methods)
            if (m.Adapter is not null && !adapters.TryGet(m.Adapter, out _))
                throw new ArgumentException($"Unknown embedding adapter '{m.Adapter}' in method '{m.Name}'; " +
                    (adapters.Adapters.Count == 0 ? "none are registered." : $"known: {string.Join(", ", adapters.Adapters.Select(a => a.Name))}."));
        if (methods.Select(m => m.Name).Distinct().Count() != methods.Count)
            throw new ArgumentException("--methods lists a method twice.");
        IReadOnlyList<ShiftSpec>? shiftList = settings.Shifts is null ? null : ShiftCatalog.ParseList(settings.Shifts, settings.Severity);

        // Data.
        Dataset dataset;
        Dataset? test = null;
        ManifestStream? manifest = null;
        if (settings.Manifest is not null)
        {
            if (shiftList is not null)
                throw new ArgumentException("--shifts does not apply to a manifest; put \"shift\" on its lines.");
            if (settings.Classes.Count > 0 || settings.MaxPerClass > 0)
                throw new ArgumentException("--classes and --max-per-class do not apply to a manifest; edit the manifest instead.");
            manifest = StreamManifest.Load(settings.Manifest, settings.Severity, settings.Seed);
            dataset = manifest.Dataset;
        }
        else
        {
            dataset = DatasetLoader.Restrict(DatasetLoader.Load(settings.Data!, settings.MaxPerClass, settings.Seed), settings.Classes);
            if (settings.Test is not null)
            {
                test = DatasetLoader.Restrict(DatasetLoader.Load(settings.Test, settings.MaxPerClass, settings.Seed), settings.Classes);
                if (test.Kind != dataset.Kind)
                    throw new InputFormatException($"--test '{settings.Test}' holds {test.Kind} samples but --data holds {dataset.Kind}; both must be the same kind.");
                if ((test.Domains.Count > 0) != (dataset.Domains.Count > 0))
                    throw new InputFormatException("--data and --test must both have a domain level (root/<domain>/<class>/file) or both not.");
            }
        }
        var items = new List<DatasetItem>(dataset.Items);
        if (test is not null)
            items.AddRange(test.Items);

        // Shifts must fit the data.
        IReadOnlyList<ShiftSpec> allShifts = manifest?.Shifts ?? shiftList ?? [];
        foreach (ShiftSpec s in allShifts)
        {
            if (s.IsClean)
                continue;
            DatasetKind need = s.Kind == ShiftKind.Audio ? DatasetKind.Audio : DatasetKind.Image;
            if (dataset.Kind != need)
                throw new ArgumentException(dataset.Kind == DatasetKind.Embeddings
                    ? $"Shift '{s}' needs the raw samples; .npy embeddings cannot be shifted (use a WAV or image dataset with --backbone)."
                    : $"Shift '{s}' applies to {need.ToString().ToLowerInvariant()} but the dataset holds {dataset.Kind.ToString().ToLowerInvariant()} files.");
        }

        // Backbone.
        IEmbeddingBackbone? backbone = null;
        ISampleEmbedder embedder;
        if (dataset.Kind == DatasetKind.Embeddings)
        {
            if (settings.Backbone is not null)
                throw new ArgumentException("--backbone does not apply to .npy embeddings (they are already embedded).");
            if (test is not null && test.Dimension != dataset.Dimension)
                throw new InputFormatException($"--test embeddings are {test.Dimension}-d but --data embeddings are {dataset.Dimension}-d.");
            var space = new EmbeddingSpace(SpaceIdentity.Sha256Hex(File.ReadAllBytes(dataset.Root))[..16], dataset.Dimension);
            embedder = new NpySampleEmbedder(space, test is null ? [dataset] : [dataset, test]);
        }
        else
        {
            if (settings.Backbone is null)
                throw new ArgumentException($"--backbone is required: the dataset holds {dataset.Kind.ToString().ToLowerInvariant()} files (e.g. -b speech, -b digits).");
            if (settings.Batch is < 0 or > SessionOptionsSpec.MaxBatch)
                throw new ArgumentException($"--batch {settings.Batch} is out of range; use 1..{SessionOptionsSpec.MaxBatch}, or leave it out to choose by provider.");
            int capacity = settings.Batch > 0 ? settings.Batch : settings.Sessions.Providers.Max(SessionOptionsSpec.DefaultBatch);
            backbone = BackboneCatalog.Open(settings.Backbone, settings.Sessions, settings.ProviderLog, settings.ModelsRoot, capacity);
            int batch = settings.Batch > 0 ? settings.Batch : Math.Min(capacity, SessionOptionsSpec.DefaultBatch(backbone.ActiveProvider));
            try
            {
                embedder = (dataset.Kind, backbone) switch
                {
                    (DatasetKind.Audio, SpeechBackbone speech) => new SpeechSampleEmbedder(speech, items, settings.Seed),
                    (DatasetKind.Image, ImageBackbone image) => new ImageSampleEmbedder(image, settings.Seed, batch),
                    _ => throw new ArgumentException(
                        $"Backbone '{backbone.Name}' takes {string.Join("/", backbone.FileExtensions)} files but the dataset holds {dataset.Kind.ToString().ToLowerInvariant()} files; pick the matching backbone."),
                };
            }
            catch
            {
                backbone.Dispose();
                throw;
            }
        }

        try
        {
            // Build each learner once: a bad parameter value (knn.k=abc) fails now, not after the embedding.
            foreach (MethodSpec m in methods)
                learners.Create(m.Learner, embedder.Space, learnerOptions);
            List<string> domains;
            List<ShiftSpec> shifts;
            var streams = new List<EvaluationStream>();
            if (manifest is not null)
            {
                domains = [.. manifest.Stream.Domains];
                shifts = [.. manifest.Shifts];
                streams.Add(manifest.Stream);
            }
            else
            {
                (domains, shifts, List<int> streamDomains, List<ProtocolItem> pool, List<ProtocolItem>? testPool) =
                    Domains(settings, dataset, test, shiftList);
                ProtocolKind kind = settings.Protocol ?? (streamDomains.Count > 1 || streamDomains[0] != 0 ? ProtocolKind.DomainShift : ProtocolKind.ClassIncremental);
                // Asked for by name, a continual stream needs conditions to go through (teach-then-stream on data
                // without any shift or domain stays possible, e.g. for .npy embeddings).
                if (settings.Protocol is ProtocolKind.DomainShift && (shiftList is not null || dataset.Domains.Count > 0)
                    && streamDomains.Count * settings.Rounds < 2)
                    throw new ArgumentException($"--protocol continual needs at least two conditions but the stream has one ({domains[streamDomains[0]]}); give --shifts with two or more (e.g. clean,white:10) or --rounds 2.");
                for (int draw = 0; draw < settings.Draws; draw++)
                {
                    var options = new ProtocolOptions
                    {
                        Kind = kind,
                        Shots = settings.Shots,
                        Tasks = settings.Tasks,
                        Rounds = settings.Rounds,
                        Holdout = settings.Holdout,
                        Correlation = settings.Correlation,
                        Seed = DrawSeed(settings.Seed, draw),
                    };
                    streams.Add(Protocols.Build(pool, testPool, domains, streamDomains, options));
                }
            }
            return new EvalPlan(settings, learners, adapters, methods, learnerOptions, dataset, test, items, domains, shifts, streams, backbone, embedder);
        }
        catch
        {
            backbone?.Dispose();
            throw;
        }
    }

    /// <summary>The seed of draw <paramref name="draw"/>: the run seed itself for draw 0.</summary>
    public static long DrawSeed(long seed, int draw) => draw == 0 ? seed : unchecked((long)DeterministicRandom.Derive(seed, "draw", draw));

    private static (List<string> Domains, List<ShiftSpec> Shifts, List<int> StreamDomains, List<ProtocolItem> Pool, List<ProtocolItem>? Test)
        Domains(EvalSettings settings, Dataset dataset, Dataset? test, IReadOnlyList<ShiftSpec>? shiftList)
    {
        var domains = new List<string>();
        var shifts = new List<ShiftSpec>();
        var streamDomains = new List<int>();
        bool natural = dataset.Domains.Count > 0;
        if (natural && shiftList is not null && shiftList.Any(s => !s.IsClean))
            throw new ArgumentException("The dataset has domain folders; use them or --shifts, not both.");
        if (natural)
        {
            string source = settings.SourceDomain
                ?? dataset.Domains.FirstOrDefault(d => d is "clean" or "source") ?? dataset.Domains[0];
            if (!dataset.Domains.Contains(source))
                throw new ArgumentException($"--source-domain '{source}' is not a domain of the dataset; domains: {string.Join(", ", dataset.Domains)}.");
            domains.Add(source);
            domains.AddRange(dataset.Domains.Where(d => d != source));
            if (test is not null)
                foreach (string d in test.Domains)
                    if (!domains.Contains(d))
                        domains.Add(d);
            shifts.AddRange(domains.Select(_ => ShiftSpec.Clean));
            streamDomains.AddRange(Enumerable.Range(0, domains.Count));
        }
        else
        {
            domains.Add(ShiftSpec.Clean.DomainName);
            shifts.Add(ShiftSpec.Clean);
            foreach (ShiftSpec s in shiftList ?? [ShiftSpec.Clean])
            {
                if (s.IsClean)
                {
                    streamDomains.Add(0);
                    continue;
                }
                domains.Add(s.DomainName);
                shifts.Add(s);
                streamDomains.Add(domains.Count - 1);
            }
        }
        int DomainOf(DatasetItem item) => natural ? domains.IndexOf(item.Domain!) : ProtocolItem.AnyDomain;
        var pool = dataset.Items.Select((item, i) => new ProtocolItem(i, item.Label, DomainOf(item))).ToList();
        List<ProtocolItem>? testPool = test?.Items.Select((item, i) => new ProtocolItem(dataset.Items.Count + i, item.Label, DomainOf(item))).ToList();
        return (domains, shifts, streamDomains, pool, testPool);
    }

    /// <summary>Runs every method over every draw's stream.</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="progress">Progress of embedding and of each method; may be null.</param>
    /// <param name="cancellationToken">Stops between samples; the report then holds what finished (<see cref="EvalReport.Completed"/> false).</param>
    public static EvalReport Run(EvalPlan plan, IProgress<EvalProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var clock = Stopwatch.StartNew();
        EvalSettings settings = plan.Settings;
        bool cancelled = false;

        // 1. Embed every (item, domain) any draw needs, once (the cache is shared by methods and draws).
        var needed = new SortedSet<(int Item, int Domain)>();
        foreach (EvaluationStream stream in plan.Streams)
            foreach (StreamSample s in stream.Samples)
                needed.Add((s.Item, s.Domain));
        int done = 0, reportEvery = Math.Max(1, needed.Count / 200), lastReport = 0;
        foreach ((int Item, int Domain)[] chunk in needed.Chunk(plan.Cache.Batch))
        {
            if (cancellationToken.IsCancellationRequested)
            {
                cancelled = true;
                break;
            }
            plan.Cache.Fill(chunk);
            done += chunk.Length;
            if (done - lastReport >= reportEvery || done == needed.Count)
            {
                lastReport = done;
                progress?.Report(new EvalProgress("embedding", done, needed.Count));
            }
        }

        // 2. Every method over every draw.
        int evaluateEvery = settings.EvaluateEvery >= 0 ? settings.EvaluateEvery
            : Math.Max(1, (int)Math.Ceiling(plan.Streams[0].Steps.Count / 200.0));
        var evaluator = new StreamEvaluator(evaluateEvery);
        var results = new Dictionary<string, List<(MethodRun Run, MethodMetrics Metrics)>>(StringComparer.Ordinal);
        foreach (MethodSpec method in plan.Methods)
        {
            results[method.Name] = [];
            if (cancelled)
                continue;
            for (int draw = 0; draw < plan.Streams.Count && !cancelled; draw++)
            {
                EvaluationStream stream = plan.Streams[draw];
                IStreamLearner learner = plan.Learners.Create(method.Learner, plan.Cache.Space, plan.LearnerOptions);
                IEmbeddingSource source = method.Adapter is null ? plan.Cache.SourceFor(stream)
                    : Adapter(plan, method.Adapter, stream);
                string phase = plan.Streams.Count == 1 ? method.Name : string.Create(CultureInfo.InvariantCulture, $"{method.Name} draw {draw + 1}/{plan.Streams.Count}");
                var stepProgress = progress is null ? null : new Progress(progress, phase);
                MethodRun run;
                try
                {
                    run = evaluator.Run(stream, new EvaluationMethod(method.Name, learner, source), stepProgress, cancellationToken);
                }
                finally
                {
                    (source as IDisposable)?.Dispose(); // an adapter's source owns a session
                }
                results[method.Name].Add((run, MethodMetrics.From(run, settings.Window)));
                if (!run.Completed)
                    cancelled = true;
            }
        }

        if (settings.ExportDirectory is not null && !cancelled)
            PeerExport.Write(plan, settings.ExportDirectory);

        return ReportBuilder.Build(plan, results, evaluateEvery, !cancelled, clock.Elapsed.TotalSeconds);
    }

    private static IEmbeddingSource Adapter(EvalPlan plan, string name, EvaluationStream stream)
    {
        plan.Adapters.TryGet(name, out EmbeddingAdapterDescriptor adapter);
        return adapter.Factory(new EmbeddingAdapterContext(plan.Backbone, stream, plan.Items, plan.Shifts, plan.Settings.Seed, plan.Cache, plan.Settings.Parameters));
    }

    /// <summary>Relays step progress synchronously (System.Progress would post to a thread pool).</summary>
    private sealed class Progress(IProgress<EvalProgress> target, string phase) : IProgress<StreamProgress>
    {
        public void Report(StreamProgress value) => target.Report(new EvalProgress(phase, value.Step, value.Steps));
    }
}
